using System.Security.Cryptography;
using KcryptPush.Contracts.V1;
using KcryptPush.Tpm.Client;
using KcryptPush.Tpm.Commands;
using KcryptPush.Tpm.Crypto;
using KcryptPush.Tpm.Release;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Agent.Attestation;

/// <summary>
/// <see cref="IEvidenceTpm"/> over our TPM client. The TPM is opened per operation (swtpm serves
/// one client at a time, and the discovery plugin may share the TPM with the running service).
/// </summary>
public sealed class TpmEvidenceTpm(string tpmUri, EkKind ekKind, uint akHandle = TpmHandle.DefaultAk) : IEvidenceTpm
{
    private readonly Lock _gate = new();

    /// <summary>The challenge's selection as a TPML_PCR_SELECTION, in the challenge's bank order.</summary>
    /// <exception cref="InvalidChallengeException">An unknown bank, or a PCR outside 0..23.</exception>
    public static TpmlPcrSelection SelectionOf(Challenge challenge)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        if (challenge.Selection is not { Length: > 0 })
        {
            throw new InvalidChallengeException($"challenge {challenge.ChallengeId} selects no PCRs");
        }

        var banks = new List<(TpmAlgId, IEnumerable<int>)>();
        foreach (PcrBankSelection s in challenge.Selection)
        {
            if (!TpmAlgorithms.TryParsePcrBank(s?.Bank, out TpmAlgId alg))
            {
                throw new InvalidChallengeException($"challenge {challenge.ChallengeId} names unknown bank '{s?.Bank}'");
            }

            if (s!.Pcrs is null || s.Pcrs.Any(p => p is < 0 or > 23))
            {
                throw new InvalidChallengeException($"challenge {challenge.ChallengeId} selects PCRs outside 0..23 in bank {s.Bank}");
            }

            banks.Add((alg, s.Pcrs));
        }

        return TpmlPcrSelection.Create([.. banks]);
    }

    /// <inheritdoc/>
    public QuoteEvidence Quote(Challenge challenge, byte[] eventLogSha256, bool releaseKey)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        ArgumentNullException.ThrowIfNull(eventLogSha256);
        TpmlPcrSelection selection = SelectionOf(challenge);
        if (challenge.Nonce is null || challenge.Nonce.Length > TpmLimits.Data)
        {
            throw new InvalidChallengeException($"challenge {challenge.ChallengeId} has no nonce or one longer than {TpmLimits.Data} bytes");
        }

        lock (_gate)
        {
            using TpmClient client = TpmClient.Open(tpmUri);
            for (int attempt = 1; attempt <= MaxQuoteAttempts; attempt++)
            {
                // The release key is bound to the values about to be quoted and to this boot's
                // resetCount, so it is made first and its Name goes into the signed extraData.
                TpmKey? key = null;
                byte[]? expectedPolicy = null;
                try
                {
                    if (releaseKey)
                    {
                        uint resetCount = client.Channel.ReadClock().ResetCount;
                        IReadOnlyList<TpmPcrValue> before = client.ReadPcrs(selection);
                        if (!QuotedPcrDigest.TryCompute(ReleaseKeyPolicy.Hash, selection, before, out byte[] valuesDigest))
                        {
                            throw new InvalidChallengeException($"the TPM did not return every PCR challenge {challenge.ChallengeId} selects");
                        }

                        expectedPolicy = ReleaseKeyPolicy.Compute(selection, valuesDigest, resetCount);
                        key = client.CreateReleaseKey(ReleaseKeyTemplate.Create(expectedPolicy));
                    }

                    byte[] extraData = EvidenceBinding.Compute(challenge.Nonce, eventLogSha256, key?.Name ?? []);
                    TpmQuote quote = client.Quote(akHandle, extraData, selection);
                    AfterQuote?.Invoke(client, attempt);
                    IReadOnlyList<TpmPcrValue> values = client.ReadPcrs(selection);

                    // Quote and read are two commands: a PCR extended between them (by the kernel, through
                    // the resource manager) would reach the verifier as a PCR digest mismatch, and a PCR
                    // extended after the release key was made would give it a policy the verifier refuses;
                    // so everything is taken again until quote, values and release key agree.
                    if (QuotedPcrDigest.Matches(quote, values) && (expectedPolicy is null || BoundTo(quote, selection, values, expectedPolicy)))
                    {
                        Attempts = attempt;
                        PcrBankValues[] pcrs = values
                            .GroupBy(v => v.Bank)
                            .Select(g => new PcrBankValues(TpmAlgorithms.BankName(g.Key), g.ToDictionary(v => v.Index, v => v.Digest)))
                            .ToArray();
                        return new QuoteEvidence(quote.Attest, quote.Signature, pcrs, key?.Public.ToArray());
                    }
                }
                finally
                {
                    key?.Dispose();
                }
            }

            throw new PcrsKeptChangingException(
                $"PCRs changed between TPM2_Quote and TPM2_PCR_Read in {MaxQuoteAttempts} attempts in a row over challenge {challenge.ChallengeId}; nothing sent");
        }
    }

    // The release key's policy is the one the verifier will recompute: from the quoted values and the
    // quote's resetCount.
    private static bool BoundTo(TpmQuote quote, TpmlPcrSelection selection, IReadOnlyList<TpmPcrValue> values, byte[] expectedPolicy)
    {
        uint quotedReset = TpmsAttest.Parse(quote.Attest).ClockInfo.ResetCount;
        return QuotedPcrDigest.TryCompute(ReleaseKeyPolicy.Hash, selection, values, out byte[] quotedDigest)
            && ReleaseKeyPolicy.Compute(selection, quotedDigest, quotedReset).AsSpan().SequenceEqual(expectedPolicy);
    }

    /// <summary>Quote-and-read pairs taken before giving up with <see cref="PcrsKeptChangingException"/>.</summary>
    public const int MaxQuoteAttempts = 5;

    /// <summary>Pairs the last successful <see cref="Quote"/> needed (1 unless PCRs moved).</summary>
    public int Attempts { get; private set; }

    /// <summary>Test seam: runs on the open TPM between the quote and the read of each attempt (a test
    /// extends a PCR there, as the kernel may on a live system).</summary>
    internal Action<TpmClient, int>? AfterQuote { get; init; }

    /// <inheritdoc/>
    public byte[] OpenSecret(string tpmHash, SealedSecret secret, QuoteEvidence evidence)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(evidence);
        if (evidence.ReleaseKeyPublic is null)
        {
            throw new ArgumentException("the quote that asked for the secret carried no release key", nameof(evidence));
        }

        TpmtPublic released = TpmtPublic.Parse(evidence.ReleaseKeyPublic);
        TpmsAttest attest = TpmsAttest.Parse(evidence.Attest);
        TpmlPcrSelection selection = attest.Quote?.PcrSelect
            ?? throw new ArgumentException("the evidence is not a TPM_ST_ATTEST_QUOTE", nameof(evidence));
        byte[] key;
        lock (_gate)
        {
            using TpmClient client = TpmClient.Open(tpmUri);
            using TpmKey releaseKey = client.CreateReleaseKey(ReleaseKeyTemplate.Create(released.AuthPolicy));
            if (!releaseKey.Name.AsSpan().SequenceEqual(released.ComputeName()))
            {
                throw new ReleaseKeyGoneException(
                    $"the release key of the quote ({Convert.ToHexStringLower(released.ComputeName())}) cannot be made again "
                    + $"(the TPM gives {Convert.ToHexStringLower(releaseKey.Name)}): the TPM was reset since the quote; attest again");
            }

            using TpmKey ek = client.CreateEk(ekKind);
            key = client.ActivateWithReleaseKey(releaseKey, ek, selection, attest.ClockInfo.ResetCount, secret.CredentialBlob, secret.EncryptedSecret);
        }

        try
        {
            return SecretSeal.Open(key, tpmHash, secret.Label, secret.Nonce, secret.Ciphertext, secret.Tag);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }
}
