using KcryptPush.Messaging;
using KcryptPush.Verifier.Attestation;
using KcryptPush.Verifier.Store;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KcryptPush.Verifier.Enrolment;

/// <summary>Wiring for the verifier's enrolment feed (called from the verifier's host setup).</summary>
public static class VerifierEnrolmentRegistration
{
    /// <summary>
    /// Registers the verifier's one store (<paramref name="store"/>: <c>litedb:PATH</c> or a PostgreSQL
    /// connection string, <see cref="VerifierStores"/>), opened once for the process with the history
    /// length of <see cref="VerifierOptions"/> and the <see cref="SecretAtRestKey"/> when registered, and the clock.
    /// </summary>
    public static IServiceCollection AddVerifierStore(this IServiceCollection services, string store)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IVerifierStore>(sp =>
        {
            // Resolved first: the key has its own file, whose failures are not the store's.
            var options = new VerifierStoreOptions
            {
                HistoryLength = sp.GetService<VerifierOptions>()?.HistoryLength ?? new VerifierStoreOptions().HistoryLength,
                SecretKey = sp.GetService<SecretAtRestKey>(),
                Logger = sp.GetService<ILoggerFactory>()?.CreateLogger("KcryptPush.Verifier.Store"),
                // A LiteDB engine that cannot be replaced in this process: the host stops, and `run` exits 1
                // (LiteDbVerifierStore.CannotRecover) so that systemd's Restart=on-failure starts it again.
                Unrecoverable = _ => sp.GetService<IHostApplicationLifetime>()?.StopApplication(),
            };
            try
            {
                return VerifierStores.Open(store, options);
            }
            catch (Exception e) when (VerifierStoreOpenException.IsOpenFailure(e))
            {
                throw new VerifierStoreOpenException(VerifierStores.LiteDbPath(store) is { } path ? VerifierStores.LiteDbPrefix + path : "postgresql", e);
            }
        });
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
