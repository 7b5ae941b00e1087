namespace KcryptPush.Contracts.V1;

/// <summary>The verifier's answer to an operator command.</summary>
/// <param name="Succeeded">Whether the command took effect.</param>
/// <param name="Code"><c>ok</c>, <c>node-unknown</c>, <c>invalid</c> or <c>failed</c>.</param>
/// <param name="Message">A readable explanation.</param>
public sealed record OperatorCommandResult(bool Succeeded, string Code, string Message);
