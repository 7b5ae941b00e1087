using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace KcryptPush.Http;

/// <summary>
/// With a configured token, every request but the health probes must carry
/// <c>Authorization: Bearer TOKEN</c>: the status page and /metrics name nodes and their verdicts,
/// while an orchestrator's probe must work without the secret.
/// </summary>
internal static class BearerTokenMiddleware
{
    public static Func<HttpContext, RequestDelegate, Task> For(string token)
    {
        byte[] expected = Encoding.UTF8.GetBytes(token);
        return (context, next) =>
        {
            PathString path = context.Request.Path;
            if (path.Equals(HealthEndpoints.Healthz, StringComparison.Ordinal) || path.Equals(HealthEndpoints.Readyz, StringComparison.Ordinal)
                || Authorized(context.Request.Headers.Authorization.ToString(), expected))
            {
                return next(context);
            }

            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return context.Response.WriteAsync("bearer token required\n");
        };
    }

    private static bool Authorized(string header, byte[] expected)
    {
        const string Scheme = "Bearer ";
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        byte[] given = Encoding.UTF8.GetBytes(header[Scheme.Length..].Trim());

        // Constant time in the token's content; the length may show, the token itself does not.
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }
}
