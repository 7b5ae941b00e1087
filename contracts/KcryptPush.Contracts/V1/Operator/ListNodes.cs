namespace KcryptPush.Contracts.V1;

/// <summary>Operator → verifier request: all nodes. Answered with <see cref="NodeList"/>.</summary>
public sealed record ListNodes;
