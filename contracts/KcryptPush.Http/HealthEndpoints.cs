using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace KcryptPush.Http;

/// <summary>
/// <c>/healthz</c>: the process answers (200, <c>{"status":"alive"}</c>). <c>/readyz</c>: every
/// readiness check, 200 when all pass, 503 otherwise, with a JSON body naming each check and
/// the ones that failed.
/// </summary>
public static class HealthEndpoints
{
    /// <summary>The liveness path.</summary>
    public const string Healthz = "/healthz";

    /// <summary>The readiness path.</summary>
    public const string Readyz = "/readyz";

    /// <summary>Maps both.</summary>
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet(Healthz, (RequestDelegate)(context => WriteJson(context, StatusCodes.Status200OK, w =>
        {
            w.WriteString("status", "alive");
        })));
        endpoints.MapGet(Readyz, (RequestDelegate)(context =>
        {
            ReadinessReport report = context.RequestServices.GetRequiredService<ReadinessProbe>().Evaluate();
            return WriteJson(context, report.Ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable, w => Write(w, report));
        }));
        return endpoints;
    }

    /// <summary>The body of /readyz: <c>{"status":"ready|unready","failing":[names],"checks":[{"name","ready","detail"}]}</c>.</summary>
    public static void Write(Utf8JsonWriter w, ReadinessReport report)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(report);
        w.WriteString("status", report.Ready ? "ready" : "unready");
        w.WriteStartArray("failing");
        foreach (string name in report.Failing)
        {
            w.WriteStringValue(name);
        }

        w.WriteEndArray();
        w.WriteStartArray("checks");
        foreach (ReadinessCheckReport c in report.Checks)
        {
            w.WriteStartObject();
            w.WriteString("name", c.Name);
            w.WriteBoolean("ready", c.Ready);
            w.WriteString("detail", c.Detail);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static async Task WriteJson(HttpContext context, int status, Action<Utf8JsonWriter> body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        await context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted).ConfigureAwait(false);
    }
}
