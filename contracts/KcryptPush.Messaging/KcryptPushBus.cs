using System.Security.Authentication;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace KcryptPush.Messaging;

/// <summary>
/// Wires MassTransit 8.5 over RabbitMQ the same way for every service (DESIGN.md "Messages and
/// topology"): durable queues, persistent messages, publisher confirms, kebab-case endpoint names
/// prefixed "kcrypt-push", exponential retry for transient faults only, poison messages to
/// <c>NAME_error</c> with MassTransit's fault headers, and an in-memory outbox so responses and
/// events leave only after the consumer (and the state it committed) succeeded.
/// </summary>
public static class KcryptPushBus
{
    private static readonly Action<ILogger, string, int, string, Exception?> RefusedCertificate = LoggerMessage.Define<string, int, string>(
        LogLevel.Error,
        new EventId(1, "BrokerCertificateRefused"),
        "Broker TLS: refusing the certificate of {Host}:{Port}: {Reason}");

    private static readonly Action<ILogger, double, double, Exception?> ReconnectSchedule = LoggerMessage.Define<double, double>(
        LogLevel.Debug,
        new EventId(2, "BrokerReconnectSchedule"),
        "Broker reconnect: first pause {MinSeconds:0.###} s, growing to at most {MaxSeconds:0.###} s between attempts");

    private static readonly Action<ILogger, string, Exception?> ReconnectNotApplied = LoggerMessage.Define<string>(
        LogLevel.Warning,
        new EventId(3, "BrokerReconnectNotApplied"),
        "Broker reconnect: MassTransit {Version} does not have the fields Broker:ReconnectMinInterval/ReconnectMaxInterval are set through; its own schedule applies (up to 30 s between attempts after an outage)");

    /// <summary>
    /// Adds the bus. <paramref name="configure"/> registers the service's consumers and request
    /// clients; consumers are put on endpoints by <c>ConfigureEndpoints</c> (give them an explicit
    /// endpoint name from <see cref="KcryptPushQueues"/>).
    /// </summary>
    public static IServiceCollection AddKcryptPushBus(
        this IServiceCollection services,
        IConfiguration configuration,
        Action<IBusRegistrationConfigurator>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<BrokerOptions>()
            .Bind(configuration.GetSection(BrokerOptions.Section))
            .Validate(o => o.PrefetchCount is >= 1 and <= 10_000 && o.RetryLimit is >= 0 and <= 50, "Broker:PrefetchCount must be 1..10000 and Broker:RetryLimit 0..50")
            .Validate(o => TryParse(o.Uri), "Broker:Uri must be amqp://user:pass@host:port/vhost or amqps://...")
            .Validate(o => o.RequestTimeout > TimeSpan.Zero && o.RetryMinInterval > TimeSpan.Zero && o.RetryMaxInterval >= o.RetryMinInterval,
                "Broker:RequestTimeout and the retry intervals must be positive, RetryMaxInterval >= RetryMinInterval")
            .Validate(o => o.ReconnectMinInterval > TimeSpan.Zero && o.ReconnectMaxInterval >= o.ReconnectMinInterval && o.ReconnectMaxInterval <= TimeSpan.FromMinutes(5),
                "Broker:ReconnectMinInterval must be positive and at most Broker:ReconnectMaxInterval, which is at most 5 minutes")
            .Validate(o => QueueTypes.IsKnown(o.QueueType), "Broker:QueueType must be classic or quorum")
            .Validate(o => BrokerClusterNodes.IsValid(o.ClusterNodes), BrokerClusterNodes.Expected)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<BrokerOptions>, BrokerTlsOptionsValidation>();
        services.TryAddSingleton(sp => BrokerTls.Load(sp.GetRequiredService<IOptions<BrokerOptions>>().Value));

        // The host starts even while the broker is away: MassTransit reconnects on its own, and a
        // service must come up (and report status) without waiting for the broker.
        services.Configure<MassTransitHostOptions>(o =>
        {
            o.WaitUntilStarted = false;
            o.StopTimeout = TimeSpan.FromSeconds(30);
        });

        services.AddMassTransit(x =>
        {
            // MassTransit 8.4+ reports usage to usage-tracking.masstransit.io unless told not to; an
            // attestation fleet does not call out to third parties (its hosts often cannot, either).
            x.ConfigureUsageTelemetryOptions(o => o.Enabled = false);

            x.SetEndpointNameFormatter(new KebabCaseEndpointNameFormatter(KcryptPushQueues.Prefix, false));
            x.AddConfigureEndpointsCallback((context, _, endpoint) =>
            {
                var broker = context.GetRequiredService<IOptions<BrokerOptions>>().Value;
                ConfigureReliability(endpoint, broker);
                if (broker.QueueType == QueueTypes.Quorum && endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
                {
                    rabbit.SetQuorumQueue();
                }

                endpoint.UseInMemoryOutbox(context);
            });

            configure?.Invoke(x);

            x.UsingRabbitMq((context, cfg) =>
            {
                var broker = context.GetRequiredService<IOptions<BrokerOptions>>().Value;
                var address = BrokerAddress.Parse(broker.Uri);
                BrokerTls tls = context.GetRequiredService<BrokerTls>();
                ILogger log = context.GetService<ILoggerFactory>()?.CreateLogger(typeof(BrokerTls).FullName!) ?? NullLogger.Instance;
                cfg.Host(address.Host, (ushort)address.Port, address.VirtualHost, broker.ConnectionName ?? AppDomain.CurrentDomain.FriendlyName, h =>
                {
                    h.Username(address.Username);
                    h.Password(address.Password);
                    h.PublisherConfirmation = true;
                    if (ClusterOf(address, broker) is { } nodes)
                    {
                        // The URI's node first, then the others: MassTransit hands RabbitMQ.Client the
                        // list on each (re)connection, which takes the first node that accepts, so a
                        // service whose node dies goes on with another member instead of waiting for it.
                        h.UseCluster(c =>
                        {
                            foreach (string node in nodes)
                            {
                                c.Node(node);
                            }
                        });
                    }

                    if (address.UseTls)
                    {
                        h.UseSsl(s =>
                        {
                            s.Protocol = SslProtocols.Tls12 | SslProtocols.Tls13;

                            // The name checked against the certificate's SAN (and sent as SNI):
                            // the URI's host, never disabled (BrokerTls).
                            s.ServerName = address.Host;
                            s.CertificateValidationCallback = (_, certificate, chain, errors) =>
                            {
                                if (tls.Validate(certificate, chain, errors, out string? reason))
                                {
                                    return true;
                                }

                                RefusedCertificate(log, address.Host, address.Port, reason!, null);
                                return false;
                            };
                            if (tls.ClientCertificate is not null)
                            {
                                s.Certificate = tls.ClientCertificate;
                            }
                        });
                    }
                });

                // MassTransit's fixed reconnect schedule (up to 30 s between attempts) kept services away long
                // after a broker outage; ours is capped at a few seconds (issue 10, item 4).
                ILogger reconnectLog = context.GetService<ILoggerFactory>()?.CreateLogger(typeof(BrokerReconnectPolicy).FullName!) ?? NullLogger.Instance;
                if (BrokerReconnectPolicy.TryApply(cfg, broker.ReconnectMinInterval, broker.ReconnectMaxInterval))
                {
                    ReconnectSchedule(reconnectLog, broker.ReconnectMinInterval.TotalSeconds, broker.ReconnectMaxInterval.TotalSeconds, null);
                }
                else
                {
                    ReconnectNotApplied(reconnectLog, typeof(IBus).Assembly.GetName().Version?.ToString() ?? "?", null);
                }

                cfg.Durable = true;
                cfg.AutoDelete = false;
                cfg.PrefetchCount = broker.PrefetchCount;
                cfg.ConfigureJsonSerializerOptions(CompactJson);
                cfg.ConfigureEndpoints(context);
            });
        });

        return services;
    }

    /// <summary>
    /// Retry for transient faults with exponential backoff; malformed messages are not retried and
    /// go straight to the error queue (MassTransit's default: a consumer fault after the retries
    /// moves the message to <c>NAME_error</c> with <c>MT-Fault-*</c> headers).
    /// </summary>
    public static void ConfigureReliability(IReceiveEndpointConfigurator endpoint, BrokerOptions broker)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(broker);
        endpoint.UseMessageRetry(r =>
        {
            TimeSpan delta = TimeSpan.FromTicks(Math.Max(broker.RetryMinInterval.Ticks / 2, 1));
            r.Exponential(broker.RetryLimit, broker.RetryMinInterval, broker.RetryMaxInterval, delta);
            r.Ignore<MessageValidationException>();
            r.Ignore<System.Runtime.Serialization.SerializationException>();
            r.Ignore<System.Text.Json.JsonException>();
            r.Ignore<FormatException>();
        });
    }

    /// <summary>
    /// MassTransit's JSON options with <c>WriteIndented</c> off. MassTransit indents by default, which
    /// made a steady AttestationResult (its next challenge selects 24 PCRs per bank, one number a
    /// line) about twice its compact size on the wire, and costs the writer the whitespace. Readers
    /// see the same JSON (the agent parses with JsonDocument). The options are one static instance
    /// for every bus in the process, possibly already in use (then read-only): a copy replaces them.
    /// </summary>
    public static JsonSerializerOptions CompactJson(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.WriteIndented ? new JsonSerializerOptions(options) { WriteIndented = false } : options;
    }

    /// <summary>Request timeout from the options, for request clients.</summary>
    public static RequestTimeout RequestTimeoutOf(BrokerOptions broker)
    {
        ArgumentNullException.ThrowIfNull(broker);
        return RequestTimeout.After(ms: (int)Math.Min(int.MaxValue, broker.RequestTimeout.TotalMilliseconds));
    }

    /// <summary>
    /// The nodes to connect to, the URI's host:port first then <see cref="BrokerOptions.ClusterNodes"/>
    /// (each once), or null for one node.
    /// </summary>
    public static IReadOnlyList<string>? ClusterOf(BrokerAddress address, BrokerOptions broker)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(broker);
        IReadOnlyList<string> others = BrokerClusterNodes.Parse(broker.ClusterNodes, address.Port);
        if (others.Count == 0)
        {
            return null;
        }

        string first = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{address.Host}:{address.Port}");
        return [.. new[] { first }.Concat(others).Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    private static bool TryParse(string uri)
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
