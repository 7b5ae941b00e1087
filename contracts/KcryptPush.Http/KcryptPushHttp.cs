using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace KcryptPush.Http;

/// <summary>
/// The HTTP listener of a service: Kestrel inside the service's host, bound to <c>Http:Listen</c>
/// (loopback by default), <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c> (Prometheus text
/// from the OpenTelemetry SDK over the given meters), and the bearer token when configured, which
/// a non-loopback address requires.
/// </summary>
public static class KcryptPushHttp
{
    private static readonly Action<ILogger, string, Exception?> Listening = LoggerMessage.Define<string>(
        LogLevel.Information, new EventId(1, "HttpListening"), "HTTP listening on {Url} (/healthz, /readyz, /metrics)");

    private static readonly Action<ILogger, Exception?> Disabled = LoggerMessage.Define(
        LogLevel.Information, new EventId(2, "HttpOff"), "HTTP listener off (Http:Listen=off): no /metrics, /healthz or /readyz");

    /// <summary>The listener's settings from <paramref name="configuration"/>.</summary>
    /// <exception cref="InvalidHttpConfigurationException">A bad address, or a non-loopback one without a token.</exception>
    public static HttpListenerSettings Settings(IConfiguration configuration, string defaultListen)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        HttpListenAddress address = HttpListenAddress.Parse(configuration[HttpOptions.ListenKey] is { Length: > 0 } l ? l : defaultListen);
        string? token = configuration[HttpOptions.BearerTokenKey] is { } t && !string.IsNullOrWhiteSpace(t) ? t.Trim() : null;
        if (!address.IsOff && !address.IsLoopback && token is null)
        {
            throw new InvalidHttpConfigurationException(
                $"{HttpOptions.ListenKey} {address} is not a loopback address: set a bearer token ({HttpOptions.BearerTokenKey}, KCRYPTPUSH_HTTP_TOKEN) " +
                "so that only holders of it read /metrics and the status page, or listen on 127.0.0.1");
        }

        return new HttpListenerSettings(address, token);
    }

    /// <summary>
    /// Adds the listener to a service's builder (after its configuration sources): Kestrel on the
    /// address, or no server at all for <c>off</c>; readiness (add <see cref="IReadinessCheck"/>s
    /// besides the broker's and the consumers'); metrics of <paramref name="meters"/>.
    /// </summary>
    public static HttpListenerSettings AddKcryptPushHttp(this WebApplicationBuilder builder, string defaultListen, params string[] meters)
    {
        ArgumentNullException.ThrowIfNull(builder);
        HttpListenerSettings settings = Settings(builder.Configuration, defaultListen);
        builder.Services.AddSingleton(settings);
        if (settings.Address.EndPoint is { } endPoint)
        {
            builder.WebHost.UseKestrelCore();
            builder.WebHost.ConfigureKestrel(k =>
            {
                k.AddServerHeader = false;
                k.Limits.MaxRequestBodySize = 64 * 1024;
                k.Limits.MaxConcurrentConnections = 64;
                k.Listen(endPoint);
            });
        }
        else
        {
            builder.Services.AddSingleton<IServer, NoHttpServer>();
        }

        builder.Services.AddRoutingCore();

        // One line per request at Information would fill the journal with scrapes every few seconds.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        builder.Services.AddSingleton<BusReadiness>();
        builder.Services.AddSingleton<IReadinessCheck, BrokerReadinessCheck>();
        builder.Services.AddSingleton<IReadinessCheck, ConsumersReadinessCheck>();
        builder.Services.AddSingleton<ReadinessProbe>();
        builder.Services.AddSingleton<ServiceMetrics>();

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(builder.Environment.ApplicationName, autoGenerateServiceInstanceId: false))
            .WithMetrics(m =>
        {
            m.AddMeter(ServiceMetrics.MeterName);
            foreach (string meter in meters)
            {
                m.AddMeter(meter);
            }

            m.AddPrometheusExporter(o =>
            {
                o.ScrapeResponseCacheDurationMilliseconds = 0;
                o.DisableTotalNameSuffixForCounters = true;
            });
        });
        return settings;
    }

    /// <summary>
    /// Adds the bearer token check and the shared routes to the built app; <paramref name="map"/>
    /// maps the service's own routes (the verifier's status page).
    /// </summary>
    public static WebApplication MapKcryptPushHttp(this WebApplication app, Action<WebApplication>? map = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        HttpListenerSettings settings = app.Services.GetRequiredService<HttpListenerSettings>();

        // Created now so its gauges exist at the first scrape.
        _ = app.Services.GetRequiredService<ServiceMetrics>();
        if (settings.BearerToken is { } token)
        {
            app.Use(BearerTokenMiddleware.For(token));
        }

        app.MapHealth();
        app.MapPrometheusScrapingEndpoint("/metrics");
        map?.Invoke(app);

        ILogger log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("KcryptPush.Http");
        app.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStarted.Register(() =>
        {
            if (settings.Address.IsOff)
            {
                Disabled(log, null);
                return;
            }

            // The bound port (differs from the configured one for port 0).
            foreach (string url in app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
            {
                Listening(log, url, null);
            }
        });
        return app;
    }
}
