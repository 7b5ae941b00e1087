using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Quotes;
using KcryptPush.Attestation.Replay;

namespace KcryptPush.Attestation.Policies;

/// <summary>
/// The evidence of one attestation, already validated (node known, nonce fresh, quote signed by
/// the enrolled AK, PCR digest and clock checked, log replayed), as the policies see it.
/// </summary>
public sealed class PolicyContext
{
    /// <summary>The node's identity: lowercase hex SHA-256 of the EK public key (DER SubjectPublicKeyInfo).</summary>
    public required string TpmHash { get; init; }

    /// <summary>TPM Name of the AK that signed the quote (nameAlg ‖ H(TPMT_PUBLIC)).</summary>
    public required ReadOnlyMemory<byte> AkName { get; init; }

    /// <summary>Reported PCR values per bank, whose digest the quote signed.</summary>
    public required PcrValues ReportedPcrs { get; init; }

    /// <summary>The parsed boot event log; null when the node sent none (or the verifier holds none for it).</summary>
    public ParsedEventLog? EventLog { get; init; }

    /// <summary>Replay of <see cref="EventLog"/> against <see cref="ReportedPcrs"/>; null when there is no log.
    /// Policies that read the log must require it to have succeeded: an unreplayed log proves nothing.</summary>
    public ReplayVerification? Replay { get; init; }

    /// <summary>Attestations of this node that passed before this one (for the attestation budget).</summary>
    public required int PassedAttestations { get; init; }
}
