using System.Collections.Frozen;
using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Cli;
using KcryptPush.Verifier.Operator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace KcryptPush.Verifier.Http;

/// <summary>
/// The fleet status page (issue 12 item 4), read-only: <c>/</c> (every node) and <c>/node/HASH</c>
/// (one node with history and audit) serve the same page, whose script polls <c>/api/nodes</c> and
/// <c>/api/nodes/HASH</c>. Those two are the documents <c>nodes list --json</c> and
/// <c>nodes show HASH --json</c> print, read through the same <see cref="NodeOperations"/> the operator
/// consumers answer with and written by the same <see cref="NodesOutput.Json"/>, so the page and the
/// command line cannot disagree. The page's files are embedded resources (Http/StatusPage/); nothing
/// is fetched from anywhere else, which the Content-Security-Policy enforces in the browser.
/// </summary>
public static class StatusPageEndpoints
{
    /// <summary>
    /// Only this verifier's own script, style and JSON; no inline script or style, no frames, no
    /// forms, no plugins: node data is attacker-controlled text (a node's OS chooses its hostname).
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>Where the fleet's JSON is (<c>nodes list --json</c>).</summary>
    public const string NodesPath = "/api/nodes";

    private const string ResourcePrefix = "KcryptPush.Verifier.StatusPage.";

    private static readonly FrozenDictionary<string, (string Resource, string ContentType)> Assets = new Dictionary<string, (string, string)>
    {
        ["/assets/app.js"] = ("app.js", "text/javascript; charset=utf-8"),
        ["/assets/style.css"] = ("style.css", "text/css; charset=utf-8"),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Maps the page's routes (GET only).</summary>
    public static void Map(IEndpointRouteBuilder e)
    {
        ArgumentNullException.ThrowIfNull(e);
        byte[] page = Resource("index.html");
        RequestDelegate index = c => Write(c, StatusCodes.Status200OK, "text/html; charset=utf-8", page);
        e.MapGet("/", index);
        e.MapGet("/node/{tpmHash}", index);
        foreach ((string path, (string resource, string contentType)) in Assets)
        {
            byte[] body = Resource(resource);
            e.MapGet(path, c => Write(c, StatusCodes.Status200OK, contentType, body));
        }

        e.MapGet(NodesPath, c =>
        {
            NodeOperations operations = c.RequestServices.GetRequiredService<NodeOperations>();
            return Json(c, StatusCodes.Status200OK, NodesOutput.Json(operations.List().Nodes));
        });
        e.MapGet(NodesPath + "/{tpmHash}", c =>
        {
            string hash = c.Request.RouteValues["tpmHash"] as string ?? "";
            if (!OperatorInput.IsTpmHash(hash))
            {
                return Json(c, StatusCodes.Status400BadRequest, NodesOutput.Json(OperatorResults.Bad("a TPM hash is 64 lowercase hex digits")));
            }

            NodeOperations operations = c.RequestServices.GetRequiredService<NodeOperations>();
            return operations.Show(hash) is { } details
                ? Json(c, StatusCodes.Status200OK, NodesOutput.Json(details))
                : Json(c, StatusCodes.Status404NotFound, NodesOutput.Json(OperatorResults.Unknown(hash)));
        });
    }

    /// <summary>The embedded page file <paramref name="name"/> (index.html, app.js, style.css).</summary>
    public static byte[] Resource(string name)
    {
        using Stream s = typeof(StatusPageEndpoints).Assembly.GetManifestResourceStream(ResourcePrefix + name)
            ?? throw new InvalidOperationException($"the status page's {name} is not embedded in the verifier");
        using var copy = new MemoryStream();
        s.CopyTo(copy);
        return copy.ToArray();
    }

    private static Task Json(HttpContext c, int status, string json) =>
        Write(c, status, "application/json; charset=utf-8", System.Text.Encoding.UTF8.GetBytes(json));

    private static Task Write(HttpContext c, int status, string contentType, byte[] body)
    {
        IHeaderDictionary h = c.Response.Headers;
        h.ContentSecurityPolicy = ContentSecurityPolicy;
        h.XContentTypeOptions = "nosniff";
        h.XFrameOptions = "DENY";
        h["Referrer-Policy"] = "no-referrer";

        // The page polls; a cache must never show an old verdict as current.
        h.CacheControl = "no-store";
        c.Response.StatusCode = status;
        c.Response.ContentType = contentType;
        c.Response.ContentLength = body.Length;
        return c.Response.Body.WriteAsync(body, c.RequestAborted).AsTask();
    }
}
