namespace KcryptPush.Agent.Attestation;

/// <summary>Who pushes: the TPM hash (DESIGN.md "Identities"), the enrolled AK's Name and the reported host name.</summary>
public sealed record NodeIdentity(string TpmHash, byte[] AkName, string Hostname);
