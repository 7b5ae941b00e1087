namespace KcryptPush.Contracts.V1;

/// <summary>
/// Event published by the registrar once a node proved that its AK lives in the TPM of its EK.
/// The verifier consumes it and creates (or updates) the node's record; it is also the response to
/// a successful <see cref="CredentialProof"/>.
/// </summary>
/// <param name="TpmHash">The node's identity (lowercase hex SHA-256 of the EK SubjectPublicKeyInfo).</param>
/// <param name="EkPublic">The EK's TPMT_PUBLIC bytes (no TPM2B size prefix).</param>
/// <param name="AkPublic">The AK's TPMT_PUBLIC bytes (no TPM2B size prefix).</param>
/// <param name="AkName">
/// The AK's TPM Name (Part 2 §16): UINT16 nameAlg ‖ H_nameAlg(TPMT_PUBLIC). Quotes are checked
/// against it.
/// </param>
/// <param name="Hostname">The host name the node reported (informational).</param>
/// <param name="EnrolledAt">When the registrar accepted the proof (UTC).</param>
public sealed record NodeEnrolled(
    string TpmHash,
    byte[] EkPublic,
    byte[] AkPublic,
    byte[] AkName,
    string Hostname,
    DateTimeOffset EnrolledAt);
