using KcryptPush.Messaging;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace KcryptPush.Verifier.Enrolment;

/// <summary>Wiring for the verifier's enrolment feed (called from the verifier's host setup).</summary>
public static class VerifierEnrolmentRegistration
{
    /// <summary>Registers the node store (LiteDB file <paramref name="dbPath"/>) and the clock.</summary>
    public static IServiceCollection AddVerifierNodeStore(this IServiceCollection services, string dbPath)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(_ => new VerifierNodeStore(dbPath));
        return services;
    }

    /// <summary>Puts <see cref="NodeEnrolledConsumer"/> on the <c>kcrypt-push-verifier-enrolment</c> queue (inside AddKcryptPushBus's callback).</summary>
    public static IBusRegistrationConfigurator AddVerifierEnrolment(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.AddConsumer<NodeEnrolledConsumer>().Endpoint(e => e.Name = KcryptPushQueues.VerifierEnrolment);
        return bus;
    }
}
