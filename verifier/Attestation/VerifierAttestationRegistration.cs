using KcryptPush.Messaging;
using KcryptPush.Verifier.Policies;
using KcryptPush.Verifier.Store;
using KcryptPush.Verifier.Verdicts;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace KcryptPush.Verifier.Attestation;

/// <summary>Wiring for attestation (called from the verifier's host setup).</summary>
public static class VerifierAttestationRegistration
{
    /// <summary>The queue of RequestChallenge and QuoteSubmitted.</summary>
    public const string Queue = KcryptPushQueues.VerifierAttestation;

    /// <summary>Where the agent's request clients send (the exchange of <see cref="Queue"/>).</summary>
    public static Uri Address => KcryptPushQueues.VerifierAttestationAddress;

    /// <summary>
    /// Registers options, the challenge issuer, the
    /// pipeline with its policies (AK and PCR selective enrollment, attestation budget), the
    /// silence detector and the verdict outbox.
    /// </summary>
    public static IServiceCollection AddVerifierAttestation(this IServiceCollection services, IConfiguration configuration)
    {
        VerifierOptions options = VerifierOptions.From(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton<ChallengeIssuer>();
        services.AddSingleton<NodeRateLimiter>();
        services.AddSingleton<IAttestationPolicy, AkPolicy>();
        services.AddSingleton<IAttestationPolicy, PcrSelectiveEnrollmentPolicy>();
        services.AddSingleton<IAttestationPolicy, MeasuredBootNodePolicy>();
        services.AddSingleton<IAttestationPolicy, AttestationBudgetPolicy>();
        services.AddSingleton<AttestationPipeline>();
        services.AddSingleton<ScanLease>();
        services.AddSingleton<SilenceDetector>();
        services.AddHostedService<SilenceDetectorService>();
        services.AddSingleton<VerdictOutbox>();
        services.AddHostedService<VerdictOutboxService>();
        return services;
    }

    /// <summary>Puts the attestation consumers on <see cref="Queue"/> (inside AddKcryptPushBus's callback).</summary>
    public static IBusRegistrationConfigurator AddVerifierAttestationConsumers(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.AddConsumer<RequestChallengeConsumer>().Endpoint(e => e.Name = Queue);
        bus.AddConsumer<QuoteSubmittedConsumer>().Endpoint(e => e.Name = Queue);
        return bus;
    }
}
