using KcryptPush.Messaging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KcryptPush.Agent.Bus;

/// <summary>The agent's broker client: Broker options (checked at start), TLS files, <see cref="AmqpRequestClient"/>.</summary>
public static class AgentBusServices
{
    /// <summary>Adds <see cref="BrokerOptions"/> (validated on start: URI, request timeout, TLS files), <see cref="BrokerTls"/> and the client.</summary>
    public static IServiceCollection AddAgentBus(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<BrokerOptions>()
            .Bind(configuration.GetSection(BrokerOptions.Section))
            .Validate(o => IsBrokerUri(o.Uri), "Broker:Uri must be amqp://user:pass@host:port/vhost or amqps://...")
            .Validate(o => o.RequestTimeout > TimeSpan.Zero, "Broker:RequestTimeout must be positive")
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BrokerOptions>, BrokerTlsValidation>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => BrokerTls.Load(sp.GetRequiredService<IOptions<BrokerOptions>>().Value));
        services.TryAddSingleton(sp => new AmqpRequestClient(
            sp.GetRequiredService<IOptions<BrokerOptions>>().Value, sp.GetRequiredService<BrokerTls>(),
            sp.GetRequiredService<ILogger<AmqpRequestClient>>(), sp.GetRequiredService<TimeProvider>()));
        services.AddHostedService<BrokerConnectionWarmup>();
        return services;
    }

    private static bool IsBrokerUri(string uri)
    {
        try
        {
            BrokerAddress.Parse(uri);
            return true;
        }
        catch (InvalidBrokerUriException)
        {
            return false;
        }
    }

    /// <summary>A missing or malformed TLS file stops the agent at start with one message naming it (as the services do).</summary>
    private sealed class BrokerTlsValidation : IValidateOptions<BrokerOptions>
    {
        public ValidateOptionsResult Validate(string? name, BrokerOptions options)
        {
            if (!IsBrokerUri(options.Uri))
            {
                return ValidateOptionsResult.Skip; // reported by the Broker:Uri check
            }

            try
            {
                BrokerTls.Load(options).Dispose();
                return ValidateOptionsResult.Success;
            }
            catch (InvalidBrokerTlsException e)
            {
                return ValidateOptionsResult.Fail(e.Message);
            }
        }
    }
}
