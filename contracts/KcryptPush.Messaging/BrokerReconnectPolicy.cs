using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using MassTransit;

namespace KcryptPush.Messaging;

/// <summary>
/// How soon a service's bus tries the broker again after losing it (<see cref="BrokerOptions.ReconnectMinInterval"/>,
/// <see cref="BrokerOptions.ReconnectMaxInterval"/>). MassTransit 8.5's RabbitMQ transport reconnects every receive
/// endpoint, and retries every send, on a policy fixed in <c>RabbitMqHostConfiguration</c>'s constructor:
/// exponential from 3 s to 30 s (plus a 1 s pause of the receive transport after each failure), so after a 30 s
/// outage a service consumed again up to 30 s after the broker was back, and its sends waited as long. The policy
/// is a getter-only property with no configuration hook, so <see cref="TryApply"/> replaces its backing field
/// before the bus is built; the exceptions retried stay MassTransit's own (only when changes, never what).
/// </summary>
public static class BrokerReconnectPolicy
{
    /// <summary>Retries before the policy starts over: a receive endpoint that used them all begins again at
    /// the shortest step (MassTransit's ReceiveTransportAgent), a send gives up. 10,000 at the default cap is
    /// about 8 h of outage, as MassTransit's own 1,000 at its 30 s cap.</summary>
    public const int RetryLimit = 10_000;

    private const string HostConfigurationField = "_hostConfiguration";
    private const string PolicyField = "<ReceiveTransportRetryPolicy>k__BackingField";

    // The agent references this assembly and is published NativeAOT, whose analysis covers the whole
    // assembly; the agent never builds a MassTransit bus, and the services that do are not trimmed. A
    // field a trimmed or newer MassTransit lacks is found missing, and TryApply reports false.
    private const string TrimmingJustification = "Only the services (not trimmed) configure a MassTransit bus; a missing field makes TryApply return false";

    /// <summary>
    /// The replacement: MassTransit's exponential policy from <paramref name="min"/> growing to <paramref name="max"/>
    /// (each pause ±25 % at random in MassTransit 8.5, so services do not retry in step), retrying exactly what
    /// <paramref name="transportDefault"/> retries.
    /// </summary>
    public static IRetryPolicy Create(IRetryPolicy transportDefault, TimeSpan min, TimeSpan max)
    {
        ArgumentNullException.ThrowIfNull(transportDefault);
        return Retry.CreatePolicy(r =>
        {
            r.Handle<Exception>(transportDefault.IsHandled);
            r.Exponential(RetryLimit, min, max, min);
        });
    }

    /// <summary>
    /// Puts <see cref="Create"/>'s policy in place of the RabbitMQ host's reconnect policy (which sends use too:
    /// <c>SendTransportRetryPolicy</c> returns it). False when this MassTransit does not have the fields it
    /// sets (an upgrade: the caller logs it, the bus keeps MassTransit's slower policy, and
    /// <c>BrokerReconnectPolicyTests</c> fails first).
    /// </summary>
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = TrimmingJustification)]
    public static bool TryApply(IRabbitMqBusFactoryConfigurator configurator, TimeSpan min, TimeSpan max)
    {
        ArgumentNullException.ThrowIfNull(configurator);
        object? host = configurator.GetType().GetField(HostConfigurationField, BindingFlags.Instance | BindingFlags.NonPublic)?.GetValue(configurator);
        FieldInfo? policy = host?.GetType().GetField(PolicyField, BindingFlags.Instance | BindingFlags.NonPublic);
        if (host is null || policy is null || policy.GetValue(host) is not IRetryPolicy transportDefault)
        {
            return false;
        }

        policy.SetValue(host, Create(transportDefault, min, max));
        return true;
    }

    /// <summary>The policy the RabbitMQ host of <paramref name="configurator"/> reconnects with now (for tests and logs), or null.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = TrimmingJustification)]
    public static IRetryPolicy? Current(IRabbitMqBusFactoryConfigurator configurator)
    {
        ArgumentNullException.ThrowIfNull(configurator);
        object? host = configurator.GetType().GetField(HostConfigurationField, BindingFlags.Instance | BindingFlags.NonPublic)?.GetValue(configurator);
        return host?.GetType().GetField(PolicyField, BindingFlags.Instance | BindingFlags.NonPublic)?.GetValue(host) as IRetryPolicy;
    }
}
