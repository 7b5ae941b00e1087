namespace KcryptPush.Verifier.Cli;

/// <summary>The broker or the verifier did not answer an operator command in time (exit 1).</summary>
public sealed class VerifierUnreachableException(string message, Exception? inner = null) : Exception(message, inner);
