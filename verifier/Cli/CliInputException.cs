namespace KcryptPush.Verifier.Cli;

/// <summary>Bad input to a command (missing file, file too large): reported as one stderr line, exit 2.</summary>
public sealed class CliInputException(string message) : Exception(message);
