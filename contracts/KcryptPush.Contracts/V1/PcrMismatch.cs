namespace KcryptPush.Contracts.V1;

/// <summary>One PCR whose value is not what it should be.</summary>
/// <param name="Bank">Bank name (<c>sha256</c>...).</param>
/// <param name="Index">PCR index.</param>
/// <param name="Expected">Lowercase hex of the expected value (the policy's, or what the log replays to).</param>
/// <param name="Actual">Lowercase hex of the value the TPM quoted.</param>
public sealed record PcrMismatch(string Bank, int Index, string Expected, string Actual);
