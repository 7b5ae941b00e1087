namespace KcryptPush.Agent.Enrolment;

/// <summary>
/// What the agent presents in RegisterNode, read from its TPM: the TPM hash (DESIGN.md
/// "Identities"), the EK's and AK's TPMT_PUBLIC bytes (no TPM2B size), the EK certificate (DER) if
/// the TPM holds one, and the AK's Name (nameAlg ‖ H(TPMT_PUBLIC), TPM 2.0 Part 1 §16).
/// </summary>
public sealed record AgentIdentity(string TpmHash, byte[] EkPublic, byte[]? EkCertificate, byte[] AkPublic, byte[] AkName);
