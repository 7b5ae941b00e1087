namespace KcryptPush.Contracts.V1;

/// <summary>
/// The selective-enrollment state of one PCR (kcrypt-challenger semantics): <c>enforce</c> with a
/// value (must match exactly), <c>learn</c> (empty: accept what comes, store it, audit). A PCR with
/// no entry is skipped (never checked).
/// </summary>
/// <param name="Bank">Bank name.</param>
/// <param name="Index">PCR index.</param>
/// <param name="Mode"><c>enforce</c> or <c>learn</c>.</param>
/// <param name="Value">Lowercase hex of the enforced value; null in <c>learn</c> mode.</param>
public sealed record PcrPolicyEntry(string Bank, int Index, string Mode, string? Value);
