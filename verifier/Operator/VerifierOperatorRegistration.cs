using KcryptPush.Messaging;
using KcryptPush.Verifier.Policies;
using KcryptPush.Verifier.Store;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace KcryptPush.Verifier.Operator;

/// <summary>Wiring for the operator commands (called from the verifier's host setup).</summary>
public static class VerifierOperatorRegistration
{
    /// <summary>The queue of the operator requests (apart from the attestation queue, so commands never wait behind quotes).</summary>
    public const string Queue = KcryptPushQueues.VerifierOperator;

    /// <summary>Where the command line's request clients send (the exchange of <see cref="Queue"/>).</summary>
    public static Uri Address => KcryptPushQueues.VerifierOperatorAddress;

    /// <summary>
    /// Registers the secret transport key (<see cref="SecretTransportKey.PathBeside"/> the database,
    /// loaded or generated when the service starts) and the <see cref="SecretAtRestKey"/> derived from
    /// it, <see cref="NodeOperations"/> with the <see cref="QuarantineDetails"/> it lists (fed by the bus's own publishes) and the
    /// <see cref="OperatorQuarantinePolicy"/> among the attestation policies. Needs the node and
    /// attestation stores registered.
    /// </summary>
    public static IServiceCollection AddVerifierOperator(this IServiceCollection services, string dbPath)
    {
        string keyPath = SecretTransportKey.PathBeside(dbPath);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(_ => SecretTransportKey.LoadOrCreate(keyPath));
        services.AddSingleton(sp => SecretAtRestKey.DeriveFrom(sp.GetRequiredService<SecretTransportKey>().Key));
        services.AddSingleton<QuarantineDetails>();
        services.AddPublishObserver(sp => sp.GetRequiredService<QuarantineDetails>());
        services.AddSingleton<NodeOperations>();
        services.TryAddSingleton<BrokerUserOf>(OperatorActor.RabbitMqUser);
        services.AddSingleton<IAttestationPolicy, OperatorQuarantinePolicy>();
        services.AddHostedService<SecretKeyStartup>();
        return services;
    }

    /// <summary>Puts the operator consumers on <see cref="Queue"/> (inside AddKcryptPushBus's callback).</summary>
    public static IBusRegistrationConfigurator AddVerifierOperatorConsumers(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.AddConsumer<ListNodesConsumer>().Endpoint(e => e.Name = Queue);
        bus.AddConsumer<ShowNodeConsumer>().Endpoint(e => e.Name = Queue);
        bus.AddConsumer<SetPcrPolicyConsumer>().Endpoint(e => e.Name = Queue);
        bus.AddConsumer<SetAkPolicyConsumer>().Endpoint(e => e.Name = Queue);
        bus.AddConsumer<SetBootPolicyConsumer>().Endpoint(e => e.Name = Queue);
        bus.AddConsumer<GetSecretKeyConsumer>().Endpoint(e => e.Name = Queue);
        bus.AddConsumer<SetSecretConsumer>().Endpoint(e => e.Name = Queue);
        bus.AddConsumer<QuarantineNodeConsumer>().Endpoint(e => e.Name = Queue);
        bus.AddConsumer<ReleaseNodeConsumer>().Endpoint(e => e.Name = Queue);
        bus.AddConsumer<DeleteNodeConsumer>().Endpoint(e => e.Name = Queue);
        return bus;
    }
}
