using KcryptPush.Http;
using KcryptPush.Registrar.Enrolment;
using KcryptPush.Registrar.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace KcryptPush.Registrar.Http;

/// <summary>
/// The registrar's HTTP listener (default 127.0.0.1:9465): /healthz, /readyz (broker, consumers,
/// store) and /metrics with the enrolment counters; nothing else is served.
/// </summary>
public static class RegistrarHttp
{
    /// <summary>Adds the listener to the registrar's builder; <paramref name="store"/> is the store setting /readyz checks (<c>litedb:PATH</c> or PostgreSQL).</summary>
    public static HttpListenerSettings AddRegistrarHttp(this WebApplicationBuilder builder, string store)
    {
        ArgumentNullException.ThrowIfNull(builder);
        HttpListenerSettings settings = builder.AddKcryptPushHttp(HttpOptions.RegistrarDefault, RegistrarMetrics.MeterName);
        builder.Services.AddSingleton<IReadinessCheck>(sp => new RegistrarStoreReadinessCheck(sp.GetService<IRegistrarStore>(), store));
        return settings;
    }

    /// <summary>Maps the routes on the built app.</summary>
    public static WebApplication MapRegistrarHttp(this WebApplication app) => app.MapKcryptPushHttp();
}
