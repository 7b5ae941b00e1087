using System.Security.Cryptography;
using KcryptPush.Agent.Attestation;
using KcryptPush.Contracts.V1;
using KcryptPush.Integration.Tests.Enrolment;
using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Tpm.Client;
using KcryptPush.Tpm.Commands;
using KcryptPush.Tpm.Release;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Integration.Tests.Attestation;

/// <summary>
/// One enrolled swtpm as the attacker holds it: its TPM hash and enrolled AK Name, and quotes made
/// on it with our TPM client (TPM2_Quote with the persisted AK, then TPM2_PCR_Read) over whatever
/// challenge the attacker chooses. No agent process runs for it: the test builds every
/// QuoteSubmitted itself.
/// </summary>
public sealed class AttackNode
{
    public AttackNode(SwtpmInstance tpm, int index)
    {
        Tpm = tpm;
        Index = index;
        TpmHash = TpmKeys.HashOf(tpm);
    }

    public int Index { get; }

    public SwtpmInstance Tpm { get; }

    public string TpmHash { get; }

    public string Hostname => $"attack-node-{Index}";

    /// <summary>The enrolled AK's Name (read from the TPM after enrolment).</summary>
    public byte[] AkName { get; private set; } = [];

    /// <summary>Reads the persisted AK's Name once the node is enrolled.</summary>
    public void ReadAk() => AkName = TpmKeys.Read(Tpm, crossCheckWithTpm2Tools: false).AkName;

    /// <summary>
    /// TPM2_Quote with this TPM's AK over <paramref name="challenge"/>'s selection, bound to its nonce and
    /// <paramref name="log"/>'s digest (and a release key when <paramref name="releaseKey"/>), and the PCR values it covers.
    /// </summary>
    public QuoteEvidence Quote(Challenge challenge, byte[] log, bool releaseKey = false) =>
        new TpmEvidenceTpm(Tpm.TpmUri, EkKind.Rsa2048).Quote(challenge, SHA256.HashData(log), releaseKey);

    /// <summary>
    /// TPM2_Quote made here with our TPM client, not the agent's code: a key made from
    /// <paramref name="releaseKeyTemplate"/> by TPM2_CreatePrimary in the NULL hierarchy (any template,
    /// e.g. one the verifier must refuse), and the quote's extraData =
    /// SHA-256(nonce ‖ SHA-256(<paramref name="log"/>) ‖ that key's Name), signed by the enrolled AK.
    /// </summary>
    public QuoteEvidence Quote(Challenge challenge, byte[] log, TpmtPublic releaseKeyTemplate)
    {
        TpmlPcrSelection selection = TpmEvidenceTpm.SelectionOf(challenge);
        using TpmClient client = TpmClient.Open(Tpm.TpmUri);
        using TpmKey key = client.CreateReleaseKey(releaseKeyTemplate);
        TpmQuote quote = client.Quote(TpmHandle.DefaultAk, EvidenceBinding.Compute(challenge.Nonce, SHA256.HashData(log), key.Name), selection);
        IReadOnlyList<TpmPcrValue> values = client.ReadPcrs(selection);
        if (!QuotedPcrDigest.Matches(quote, values))
        {
            throw new InvalidOperationException($"node {Index}: PCRs moved between TPM2_Quote and TPM2_PCR_Read");
        }

        PcrBankValues[] pcrs = [.. values.GroupBy(v => v.Bank)
            .Select(g => new PcrBankValues(TpmAlgorithms.BankName(g.Key), g.ToDictionary(v => v.Index, v => v.Digest)))];
        return new QuoteEvidence(quote.Attest, quote.Signature, pcrs, key.Public.ToArray());
    }

    /// <summary>
    /// What an agent that withholds its log sends: a quote genuinely signed over
    /// <paramref name="eventLogSha256"/> (no release key), naming that digest and carrying no log.
    /// </summary>
    public QuoteSubmitted SubmissionWithoutLog(Challenge challenge, byte[] eventLogSha256)
    {
        QuoteEvidence e = new TpmEvidenceTpm(Tpm.TpmUri, EkKind.Rsa2048).Quote(challenge, eventLogSha256, releaseKey: false);
        return new QuoteSubmitted(challenge.ChallengeId, TpmHash, AkName, e.Attest, e.Signature, e.Pcrs, eventLogSha256, null, null, Hostname);
    }

    /// <summary>Opens a released secret with this TPM and the release key of <paramref name="evidence"/>.</summary>
    public byte[] OpenSecret(SealedSecret secret, QuoteEvidence evidence) =>
        new TpmEvidenceTpm(Tpm.TpmUri, EkKind.Rsa2048).OpenSecret(TpmHash, secret, evidence);

    /// <summary>
    /// The QuoteSubmitted an honest agent of this node would send over <paramref name="challenge"/>,
    /// with the whole <paramref name="log"/> (so the verifier judges it at once).
    /// </summary>
    public QuoteSubmitted Submission(Challenge challenge, byte[] log, string[]? wantedSecrets = null) =>
        Submission(challenge, Quote(challenge, log, wantedSecrets is { Length: > 0 }), log, wantedSecrets);

    /// <summary>A QuoteSubmitted in this node's name carrying <paramref name="evidence"/> (possibly made elsewhere).</summary>
    public QuoteSubmitted Submission(Challenge challenge, QuoteEvidence evidence, byte[] log, string[]? wantedSecrets = null) =>
        new(challenge.ChallengeId, TpmHash, AkName, evidence.Attest, evidence.Signature, evidence.Pcrs,
            SHA256.HashData(log), log, wantedSecrets, Hostname, evidence.ReleaseKeyPublic);
}
