namespace KcryptPush.Http;

/// <summary>
/// The <c>Http</c> configuration section of the registrar and the verifier:
/// <c>Http:Listen</c> (<c>KCRYPTPUSH_HTTP</c>, <c>--http</c>) and <c>Http:BearerToken</c>
/// (<c>KCRYPTPUSH_HTTP_TOKEN</c>).
/// </summary>
public static class HttpOptions
{
    /// <summary>The configuration key of the listen address (HOST:PORT or <c>off</c>).</summary>
    public const string ListenKey = "Http:Listen";

    /// <summary>The configuration key of the bearer token.</summary>
    public const string BearerTokenKey = "Http:BearerToken";

    /// <summary>The verifier's default listen address.</summary>
    public const string VerifierDefault = "127.0.0.1:9464";

    /// <summary>The registrar's default listen address.</summary>
    public const string RegistrarDefault = "127.0.0.1:9465";

    /// <summary>Short environment variables → configuration keys, for the services' alias tables.</summary>
    public static IReadOnlyDictionary<string, string> Aliases { get; } = new Dictionary<string, string>
    {
        ["KCRYPTPUSH_HTTP"] = ListenKey,
        ["KCRYPTPUSH_HTTP_TOKEN"] = BearerTokenKey,
    };
}
