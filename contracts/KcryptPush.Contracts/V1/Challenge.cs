namespace KcryptPush.Contracts.V1;

/// <summary>
/// A single-use freshness challenge issued by the verifier to one node: the next quote must carry
/// <paramref name="Nonce"/> as its qualifyingData (TPMS_ATTEST.extraData) and cover exactly
/// <paramref name="Selection"/>, in this order.
/// </summary>
/// <param name="ChallengeId">Identifies the challenge; the quote answering it names it. Redelivery is idempotent by this id.</param>
/// <param name="TpmHash">The node the challenge was issued to; any other node's quote over it is refused.</param>
/// <param name="Nonce">Random bytes (32 by default), at most the size of a TPM2B_DATA the TPM accepts (64).</param>
/// <param name="Selection">The PCRs to quote, bank by bank (default: all 24 PCRs of every active bank).</param>
/// <param name="ExpiresAt">After this instant (UTC) a quote over the nonce is refused (default 2 × interval).</param>
public sealed record Challenge(
    Guid ChallengeId,
    string TpmHash,
    byte[] Nonce,
    PcrBankSelection[] Selection,
    DateTimeOffset ExpiresAt);
