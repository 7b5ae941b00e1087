using KcryptPush.Http;
using KcryptPush.Verifier.Metrics;
using KcryptPush.Verifier.Store;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace KcryptPush.Verifier.Http;

/// <summary>The verifier's HTTP listener (default 127.0.0.1:9464): the shared endpoints, its store's readiness and its meters.</summary>
public static class VerifierHttp
{
    /// <summary>Adds the listener to the verifier's builder; /readyz checks the store, or the LiteDB file <paramref name="db"/>.</summary>
    public static HttpListenerSettings AddVerifierHttp(this WebApplicationBuilder builder, string db)
    {
        ArgumentNullException.ThrowIfNull(builder);
        HttpListenerSettings settings = builder.AddKcryptPushHttp(HttpOptions.VerifierDefault, VerifierMetrics.MeterName);
        builder.Services.AddSingleton<IReadinessCheck>(sp => new VerifierStoreReadinessCheck(sp.GetService<IVerifierStore>(), db));
        builder.Services.AddSingleton<VerifierMetrics>();
        builder.Services.AddSingleton<FleetGauges>();
        builder.Services.AddPublishObserver<VerdictPublishCounter>();
        return settings;
    }

    /// <summary>Maps the routes on the built app.</summary>
    public static WebApplication MapVerifierHttp(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);

        // Created now so that the gauges exist at the first scrape.
        _ = app.Services.GetRequiredService<FleetGauges>();
        return app.MapKcryptPushHttp(a => VerifierHttpEndpoints.Map(a));
    }
}
