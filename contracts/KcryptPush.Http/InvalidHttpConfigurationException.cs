namespace KcryptPush.Http;

/// <summary>The <c>Http</c> settings cannot be used (bad address, non-loopback without a token): the service does not start.</summary>
public sealed class InvalidHttpConfigurationException(string message) : Exception(message);
