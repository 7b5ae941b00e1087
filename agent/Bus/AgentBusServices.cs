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
    /// <summary>Adds <see cref="BrokerOptions"/> (validated on start: URI, request timeout, cluster nodes, TLS files), <see cref="BrokerTls"/> and the client.</summary>
    public static IServiceCollection AddAgentBus(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<BrokerOptions>()
            .Bind(configuration.GetSection(BrokerOptions.Section))
            .Validate(o => IsBrokerUri(o.Uri), "Broker:Uri must be amqp://user:pass@host:port/vhost or amqps://...")
            .Validate(o => o.RequestTimeout > TimeSpan.Zero, "Broker:RequestTimeout must be positive")
            .Validate(o => BrokerClusterNodes.IsValid(o.ClusterNodes), BrokerClusterNodes.Expected)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BrokerOptions>, BrokerTlsOptionsValidation>());
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
}
