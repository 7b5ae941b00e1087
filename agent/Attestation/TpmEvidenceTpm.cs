using System.Security.Cryptography;
using KcryptPush.Contracts.V1;
using KcryptPush.Tpm.Client;
using KcryptPush.Tpm.Commands;
using KcryptPush.Tpm.Crypto;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Agent.Attestation;

/// <summary>
/// <see cref="IEvidenceTpm"/> over our TPM client. The TPM is opened per operation (swtpm serves
/// one client at a time, and the discovery plugin may share the TPM with the running service).
/// </summary>
public sealed class TpmEvidenceTpm(string tpmUri, EkKind ekKind, AkKind akKind, uint akHandle = TpmHandle.DefaultAk) : IEvidenceTpm
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
            if (!PcrBankNames.TryParse(s?.Bank, out TpmAlgId alg))
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
    public QuoteEvidence Quote(Challenge challenge)
    {
        ArgumentNullException.ThrowIfNull(challenge);
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
                TpmQuote quote = client.Quote(akHandle, challenge.Nonce, selection);
                AfterQuote?.Invoke(client, attempt);
                IReadOnlyList<TpmPcrValue> values = client.ReadPcrs(selection);

                // Quote and read are two commands: a PCR extended between them (by the kernel, through
                // the resource manager) would reach the verifier as a PCR digest mismatch and
                // quarantine the node, so the pair is taken again until it agrees.
                if (QuotedPcrDigest.Matches(quote, values))
                {
                    Attempts = attempt;
                    PcrBankValues[] pcrs = values
                        .GroupBy(v => v.Bank)
                        .Select(g => new PcrBankValues(PcrBankNames.NameOf(g.Key), g.ToDictionary(v => v.Index, v => v.Digest)))
                        .ToArray();
                    return new QuoteEvidence(quote.Attest, quote.Signature, pcrs);
                }
            }

            throw new PcrsKeptChangingException(
                $"PCRs changed between TPM2_Quote and TPM2_PCR_Read in {MaxQuoteAttempts} attempts in a row over challenge {challenge.ChallengeId}; nothing sent");
        }
    }

    /// <summary>Quote-and-read pairs taken before giving up with <see cref="PcrsKeptChangingException"/>.</summary>
    public const int MaxQuoteAttempts = 5;

    /// <summary>Pairs the last successful <see cref="Quote"/> needed (1 unless PCRs moved).</summary>
    public int Attempts { get; private set; }

    /// <summary>Test seam: runs on the open TPM between the quote and the read of each attempt (a test
    /// extends a PCR there, as the kernel may on a live system).</summary>
    internal Action<TpmClient, int>? AfterQuote { get; init; }

    /// <inheritdoc/>
    public byte[] OpenSecret(string tpmHash, SealedSecret secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        byte[] key;
        lock (_gate)
        {
            using TpmClient client = TpmClient.Open(tpmUri);
            using TpmKey ek = client.CreateEk(ekKind);
            using TpmKey ak = client.GetOrCreatePersistentAk(akKind, TpmAlgId.Sha256, akHandle);
            key = client.ActivateCredential(ak, ek, secret.CredentialBlob, secret.EncryptedSecret);
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
