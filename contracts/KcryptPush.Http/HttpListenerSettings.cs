namespace KcryptPush.Http;

/// <summary>The listener as configured: its address and the bearer token (null when none is configured).</summary>
public sealed record HttpListenerSettings(HttpListenAddress Address, string? BearerToken);
