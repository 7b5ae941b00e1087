using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace KcryptPush.Http;

/// <summary>
/// With a configured token, every request but the health probes must carry
/// <c>Authorization: Bearer TOKEN</c> or the session cookie that <c>POST /login</c> sets: the status
/// page and /metrics name nodes and their verdicts, while an orchestrator's probe must work without
/// the secret. A browser cannot send a bearer header for a page it navigates to, so a refused page
/// request (Accept: text/html) gets a form that posts the token once.
/// </summary>
internal static class BearerTokenMiddleware
{
    /// <summary>The session cookie's name.</summary>
    public const string CookieName = "kcrypt-push-session";

    /// <summary>Where the form posts the token.</summary>
    public static readonly PathString LoginPath = new("/login");

    public static Func<HttpContext, RequestDelegate, Task> For(string token)
    {
        byte[] expected = Encoding.UTF8.GetBytes(token);
        string sessionValue = SessionValue(token);
        byte[] session = Encoding.ASCII.GetBytes(sessionValue);
        return async (context, next) =>
        {
            HttpRequest request = context.Request;
            PathString path = request.Path;
            if (path.Equals(HealthEndpoints.Healthz, StringComparison.Ordinal) || path.Equals(HealthEndpoints.Readyz, StringComparison.Ordinal)
                || Authorized(request.Headers.Authorization.ToString(), expected)
                || (request.Cookies.TryGetValue(CookieName, out string? cookie) && FixedTimeEquals(cookie, session)))
            {
                await next(context).ConfigureAwait(false);
                return;
            }

            if (path.Equals(LoginPath, StringComparison.Ordinal) && HttpMethods.IsPost(request.Method) && request.HasFormContentType)
            {
                IFormCollection form = await request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
                if (FixedTimeEquals(form["token"].ToString().Trim(), expected))
                {
                    context.Response.Cookies.Append(CookieName, sessionValue, new CookieOptions
                    {
                        HttpOnly = true,
                        SameSite = SameSiteMode.Strict,
                        Secure = request.IsHttps,
                        Path = "/",
                    });
                    context.Response.Redirect("/", permanent: false);
                    return;
                }

                await Refuse(context, "That is not the token.").ConfigureAwait(false);
                return;
            }

            await Refuse(context, null).ConfigureAwait(false);
        };
    }

    // The cookie carries a value derived from the token, not the token itself: a browser's cookie
    // store then never holds the secret that Prometheus' scrape configuration also holds.
    private static string SessionValue(string token) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("kcrypt-push status session\0" + token)));

    private static Task Refuse(HttpContext context, string? problem)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer";
        if (!WantsHtml(context.Request))
        {
            return context.Response.WriteAsync("bearer token required\n");
        }

        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync(LoginPage(problem));
    }

    private static bool WantsHtml(HttpRequest request) =>
        request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);

    private static string LoginPage(string? problem) =>
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>KcryptPush: token required</title></head><body>"
        + "<h1>Token required</h1><p>This listener is not on loopback: enter the bearer token from its configuration (KCRYPTPUSH_HTTP_TOKEN).</p>"
        + (problem is null ? "" : $"<p role=\"alert\">{System.Net.WebUtility.HtmlEncode(problem)}</p>")
        + "<form method=\"post\" action=\"/login\"><input type=\"password\" name=\"token\" autocomplete=\"current-password\" aria-label=\"token\" required> "
        + "<button type=\"submit\">Open</button></form></body></html>\n";

    private static bool Authorized(string header, byte[] expected)
    {
        const string Scheme = "Bearer ";
        return header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) && FixedTimeEquals(header[Scheme.Length..].Trim(), expected);
    }

    // Constant time in the value's content; the length may show, the value itself does not.
    private static bool FixedTimeEquals(string given, byte[] expected) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), expected);
}
