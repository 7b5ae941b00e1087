using KcryptPush.Messaging;
using KcryptPush.Verifier.Attestation;
using KcryptPush.Verifier.Enrolment;
using KcryptPush.Verifier.Http;
using KcryptPush.Verifier.Operator;
using KcryptPush.Verifier.Verdicts;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KcryptPush.Verifier.Hosting;

/// <summary>
/// Builds the long-running verifier (<c>kcrypt-push-verifier run</c>): for now the enrolment feed
/// only (NodeEnrolled → nodes in verifier.db); attestation consumers join it in a later issue.
/// </summary>
public static class VerifierHost
{
    /// <summary>Creates the host: configuration layers, console/journal logging, systemd integration, bus.</summary>
    public static IHost Build(IEnumerable<KeyValuePair<string, string?>> commandLine, IReadOnlyDictionary<string, string?>? environment = null)
    {
        // A WebApplication is the generic host plus Kestrel (Http:Listen; off runs no server).
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = "kcrypt-push-verifier",
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddVerifierSources(commandLine, environment);
        BrokerAddress.Parse(builder.Configuration[$"{BrokerOptions.Section}:Uri"] ?? BrokerOptions.DefaultUri);
        builder.Logging.AddKcryptPushConsole(builder.Configuration);

        builder.Services.AddSystemd();
        string db = VerifierConfiguration.DbPath(builder.Configuration);

        // Loaded now, so a missing or invalid file stops the service before it attests anything.
        if (DefaultBootPolicyLoader.Load(VerifierOptions.From(builder.Configuration)) is { } bootPolicy)
        {
            builder.Services.AddSingleton(bootPolicy);
        }

        builder.Services.AddVerifierStore(VerifierConfiguration.Store(builder.Configuration));
        builder.Services.AddVerifierAttestation(builder.Configuration);
        builder.Services.AddBrokerConnectionClock();
        builder.Services.AddVerifierOperator(db);
        builder.Services.AddKcryptPushBus(builder.Configuration, x => x.AddVerifierEnrolment().AddVerifierAttestationConsumers().AddVerifierOperatorConsumers());
        builder.AddVerifierHttp(db);
        return builder.Build().MapVerifierHttp();
    }
}
