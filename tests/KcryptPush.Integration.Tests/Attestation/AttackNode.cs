using System.Security.Cryptography;
using KcryptPush.Agent.Attestation;
using KcryptPush.Contracts.V1;
using KcryptPush.Integration.Tests.Enrolment;
using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Tpm.Client;

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
