namespace KcryptPush.Agent.Attestation;

/// <summary>
/// The release key a secret was bound to cannot be made again: the TPM was reset since the quote
/// (the NULL hierarchy's seed changed), so the secret cannot be opened in this boot.
/// </summary>
public sealed class ReleaseKeyGoneException(string message) : Exception(message);
