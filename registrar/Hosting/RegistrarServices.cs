using KcryptPush.Messaging;
using KcryptPush.Registrar.Consumers;
using KcryptPush.Registrar.EkCertificates;
using KcryptPush.Registrar.Enrolment;
using KcryptPush.Registrar.Options;
using KcryptPush.Registrar.Store;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KcryptPush.Registrar.Hosting;

/// <summary>Service registrations of the registrar (store, EK checks, enrolment, consumers, bus).</summary>
public static class RegistrarServices
{
    /// <summary>Adds the registrar to <paramref name="services"/>.</summary>
    public static IServiceCollection AddRegistrar(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<RegistrarOptions>()
            .Bind(configuration.GetSection(RegistrarOptions.Section))
            .Validate(o => !string.IsNullOrWhiteSpace(o.Db), "Registrar:Db must name a file")
            .Validate(o => o.Store is null || o.Store.Trim().Length > 0, "Registrar:Store must be litedb:PATH or a PostgreSQL connection string when set")
            .Validate(o => o.ChallengeLifetime > TimeSpan.Zero && o.ChallengeLifetime <= TimeSpan.FromHours(1), "Registrar:ChallengeLifetime must be between 0 and 1 hour")
            .Validate(o => o.RegistrationsPerMinute > 0, "Registrar:RegistrationsPerMinute must be positive")
            .Validate(o => o.GlobalRegistrationsPerMinute > 0, "Registrar:GlobalRegistrationsPerMinute must be positive")
            .Validate(o => o.RejectionReportInterval >= TimeSpan.FromSeconds(1) && o.RejectionReportInterval <= TimeSpan.FromDays(1), "Registrar:RejectionReportInterval must be between 1 second and 1 day")
            .Validate(o => o.AllowedTpmHashes.All(h => h.Trim().Length == 64 && h.Trim().All(Uri.IsHexDigit)), "Registrar:AllowedTpmHashes must hold 64-hex-digit TPM hashes")
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<RegistrarOptions>>().Value);
        services.TryAddSingleton(sp => RegistrarStores.Open(sp.GetRequiredService<RegistrarOptions>().StoreSetting, onFailure: cause =>
        {
            // LiteDB keeps a failed engine closed: stop, and `run` exits 1 for systemd's Restart=on-failure.
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("KcryptPush.Registrar.Store").LogCritical(cause,
                "The registrar store failed a write ({Reason}): stopping so that the service is restarted on it", cause.Message);
            sp.GetService<IHostApplicationLifetime>()?.StopApplication();
        }));
        services.TryAddSingleton(sp =>
        {
            var o = sp.GetRequiredService<RegistrarOptions>();
            EkTrustAnchors anchors = EkTrustAnchors.LoadDirectory(o.EkCaDir);
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("KcryptPush.Registrar").LogInformation(
                "EK trust: {Roots} root and {Intermediates} intermediate CA certificates from {EkCaDir}; RequireEkCertificate={Require}; {Allowed} allow-listed TPM hashes",
                anchors.Roots.Count, anchors.Intermediates.Count, o.EkCaDir, o.RequireEkCertificate, o.AllowedTpmHashes.Count);
            return anchors;
        });
        services.TryAddSingleton(sp => new EkCertificateValidator(
            sp.GetRequiredService<EkTrustAnchors>(),
            sp.GetRequiredService<RegistrarOptions>().IgnoreEkCertificateValidityPeriod,
            sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp => new RegistrationRateLimiter(
            sp.GetRequiredService<RegistrarOptions>().RegistrationsPerMinute, sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<RegistrarMetrics>();
        services.TryAddSingleton<EnrolmentService>();
        services.AddHostedService<RegistrarStartup>();
        services.AddHostedService<RejectionReporter>();

        services.AddKcryptPushBus(configuration, x =>
        {
            x.AddConsumer<RegisterNodeConsumer>().Endpoint(e => e.Name = KcryptPushQueues.Registrar);
            x.AddConsumer<CredentialProofConsumer>().Endpoint(e => e.Name = KcryptPushQueues.Registrar);
        });
        return services;
    }
}
