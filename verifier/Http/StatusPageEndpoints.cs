using Microsoft.AspNetCore.Routing;

namespace KcryptPush.Verifier.Http;

/// <summary>The fleet status page's routes (issue 12 item 4; filled in by its own work).</summary>
public static class StatusPageEndpoints
{
    /// <summary>Maps the page's routes.</summary>
    public static void Map(IEndpointRouteBuilder e)
    {
    }
}
