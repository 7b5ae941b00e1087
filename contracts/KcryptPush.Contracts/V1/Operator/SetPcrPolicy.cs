namespace KcryptPush.Contracts.V1;

/// <summary>
/// Operator → verifier: set one PCR's policy. <paramref name="Mode"/> <c>enforce</c> with
/// <paramref name="Value"/> (hex of the bank's digest size), <c>learn</c> (accept and store the next
/// value) or <c>skip</c> (remove the entry: never checked). Answered with <see cref="OperatorCommandResult"/>.
/// </summary>
public sealed record SetPcrPolicy(string TpmHash, string Bank, int Index, string Mode, string? Value, string Operator);
