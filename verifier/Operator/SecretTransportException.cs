namespace KcryptPush.Verifier.Operator;

/// <summary>A <see cref="KcryptPush.Contracts.V1.SetSecret"/> that cannot be opened (answered with code <c>invalid</c>).</summary>
public sealed class SecretTransportException(string message) : Exception(message);
