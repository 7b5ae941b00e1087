using Microsoft.AspNetCore.Routing;

namespace KcryptPush.Verifier.Http;

/// <summary>
/// The verifier's own routes beside the shared /healthz, /readyz and /metrics: the place to add
/// one (each part maps its routes in its own file, called from here). Behind the bearer token
/// when one is configured.
/// </summary>
public static class VerifierHttpEndpoints
{
    /// <summary>Maps every verifier route.</summary>
    public static void Map(IEndpointRouteBuilder endpoints)
    {
        StatusPageEndpoints.Map(endpoints);
    }
}
