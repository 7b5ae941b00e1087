using KcryptPush.Messaging;
using KcryptPush.Registrar.Http;
using KcryptPush.Registrar.Options;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KcryptPush.Registrar.Hosting;

/// <summary>Builds the long-running registrar (<c>kcrypt-push-registrar run</c>).</summary>
public static class RegistrarHost
{
    /// <summary>Creates the host: configuration layers, console/journal logging, systemd integration, the registrar.</summary>
    /// <param name="commandLine">Option values (configuration key → value).</param>
    /// <param name="environment">The environment (null: the process environment).</param>
    /// <param name="configure">Extra registrations (tests replace the clock, for example).</param>
    public static IHost Build(
        IEnumerable<KeyValuePair<string, string?>> commandLine,
        IReadOnlyDictionary<string, string?>? environment = null,
        Action<IServiceCollection>? configure = null)
    {
        // A WebApplication is the generic host plus Kestrel (Http:Listen; off runs no server).
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = "kcrypt-push-registrar",
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddRegistrarSources(commandLine, environment);
        builder.Logging.AddKcryptPushConsole(builder.Configuration);

        // Type=notify readiness and journal-friendly log output when started by systemd; no-op otherwise.
        builder.Services.AddSystemd();
        builder.Services.AddRegistrar(builder.Configuration);
        builder.AddRegistrarHttp(RegistrarConfiguration.Store(builder.Configuration));
        configure?.Invoke(builder.Services);
        return builder.Build().MapRegistrarHttp();
    }
}
