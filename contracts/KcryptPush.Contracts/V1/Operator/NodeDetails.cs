namespace KcryptPush.Contracts.V1;

/// <summary>Verifier → operator: everything about one node (never a secret's value).</summary>
/// <param name="TpmHash">The node.</param>
/// <param name="Hostname">Its host name.</param>
/// <param name="State">One of <see cref="NodeStates"/>.</param>
/// <param name="AkName">Hex of the enrolled AK's Name.</param>
/// <param name="AkMode"><c>enforce</c>, <c>learn</c> or <c>skip</c>.</param>
/// <param name="PcrPolicy">The PCR entries; PCRs without an entry are skipped.</param>
/// <param name="HasBootPolicy">Whether a measured-boot policy is attached.</param>
/// <param name="SecretLabels">The labels of configured secrets (values are never shown).</param>
/// <param name="AttestationsPassed">Passed attestations so far.</param>
/// <param name="MaxAttestations">The attestation budget, if any.</param>
/// <param name="History">The most recent attestations, newest first (bounded).</param>
/// <param name="Audit">The most recent audit entries, newest first (bounded).</param>
/// <param name="PcrTofuPending">True until the first passing attestation learned the node's PCRs: every
/// quoted PCR not in <paramref name="PcrPolicy"/> will be learned then.</param>
/// <param name="TpmFirmware">The TPM's firmwareVersion from its latest authenticated quote (hex
/// <c>FIRMWARE_VERSION_1.FIRMWARE_VERSION_2</c>), null before one; changes are in <paramref name="Audit"/>.</param>
/// <param name="UnderFleetBootPolicy">True when the node has no policy of its own and the verifier enforces its
/// fleet default (<c>Verifier:DefaultBootPolicy</c>) on it.</param>
public sealed record NodeDetails(
    string TpmHash,
    string Hostname,
    string State,
    string AkName,
    string AkMode,
    PcrPolicyEntry[] PcrPolicy,
    bool HasBootPolicy,
    string[] SecretLabels,
    int AttestationsPassed,
    int? MaxAttestations,
    AttestationRecord[] History,
    NodeAuditEntry[] Audit,
    bool PcrTofuPending = false,
    string? TpmFirmware = null,
    bool UnderFleetBootPolicy = false);
