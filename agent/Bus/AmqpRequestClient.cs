using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using KcryptPush.Messaging;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace KcryptPush.Agent.Bus;

/// <summary>
/// Request/response with MassTransit services over RabbitMQ.Client alone (the agent does not load
/// MassTransit: its images and JIT cost most of the agent's memory). Speaks what a MassTransit
/// request client speaks: the JSON envelope (<see cref="MassTransitEnvelope"/>) published to the
/// service's fanout exchange (durable, as MassTransit declares it), persistent, with publisher
/// confirms (a request counts as sent only once the broker confirmed it) and the request timeout
/// as its AMQP expiration; answers come back on this process's reply queue, named as MassTransit
/// names a bus endpoint (<c>HOST_PROCESS_bus_ID</c>, which the agent's broker user may declare and
/// read: scripts/rabbitmq.sh), through an exchange of the same name.
/// </summary>
/// <remarks>
/// One connection, opened on first use (or by <see cref="ConnectAsync"/>) and again on the next
/// request after it was lost: a broker outage fails the requests in flight at once, and the
/// callers' backoff brings the next one. No automatic recovery of the client library: it would
/// replay declarations behind our back while a request waits for an answer that went to a reply
/// queue that no longer exists.
/// </remarks>
public sealed partial class AmqpRequestClient : IAsyncDisposable
{
    private readonly BrokerOptions _options;
    private readonly BrokerAddress _address;
    private readonly (string Host, int Port)[] _nodes;
    private readonly BrokerTls _tls;
    private readonly ILogger<AmqpRequestClient> _log;
    private readonly TimeProvider _time;
    private readonly string _hostAddress;
    private readonly string _replyPrefix;
    private readonly SemaphoreSlim _connecting = new(1, 1);
    private readonly SemaphoreSlim _publishing = new(1, 1);
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource<ReceivedEnvelope>> _pending = new();
    private Session? _session;
    private bool _disposed;

    /// <summary>Creates the client; nothing connects until the first request or <see cref="ConnectAsync"/>.</summary>
    public AmqpRequestClient(BrokerOptions options, BrokerTls tls, ILogger<AmqpRequestClient> log, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _address = BrokerAddress.Parse(options.Uri);
        _nodes = NodesOf(_address, options.ClusterNodes);
        _tls = tls;
        _log = log;
        _time = time;

        // MassTransit's host address: rabbitmq://HOST:PORT/ for the default vhost, else rabbitmq://HOST:PORT/VHOST/.
        string vhost = _address.VirtualHost == "/" ? string.Empty : Uri.EscapeDataString(_address.VirtualHost) + "/";
        _hostAddress = $"rabbitmq://{_address.Host}:{_address.Port.ToString(CultureInfo.InvariantCulture)}/{vhost}";
        _replyPrefix = $"{Sanitize(Environment.MachineName)}_{Sanitize(Path.GetFileNameWithoutExtension(Environment.ProcessPath) ?? "agent")}_bus_";
    }

    /// <summary>The current reply queue (and exchange) name, or null while disconnected.</summary>
    public string? ReplyQueue => Volatile.Read(ref _session)?.ReplyQueue;

    /// <summary>Connects now (the first request would otherwise): the discovery call overlaps it with its TPM work.</summary>
    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.RequestTimeout);
        await SessionAsync(deadline.Token).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends <paramref name="message"/> to the fanout exchange <paramref name="exchange"/> and waits
    /// for the answer (at most Broker:RequestTimeout, connecting included).
    /// </summary>
    /// <returns>The answer's envelope; a MassTransit fault is thrown as <see cref="BusFaultException"/>.</returns>
    /// <exception cref="BusRequestTimeoutException">Sent, but no answer in time.</exception>
    /// <exception cref="BrokerLostException">Not sent or not answered: no broker reachable, or the connection broke.</exception>
    /// <exception cref="BusRequestException">Not sent: login or TLS refused, not confirmed, the broker did not take it in time.</exception>
    internal async Task<ReceivedEnvelope> RequestAsync<T>(string exchange, T message, JsonTypeInfo<T> typeInfo, IReadOnlyList<string> acceptTypes, CancellationToken cancellationToken)
    {
        TimeSpan timeout = _options.RequestTimeout;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        Guid requestId = Guid.NewGuid();
        var answer = new TaskCompletionSource<ReceivedEnvelope>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[requestId] = answer;
        bool connected = false, sent = false;
        try
        {
            Session session = await SessionAsync(deadline.Token).ConfigureAwait(false);
            connected = true;
            DateTimeOffset now = _time.GetUtcNow();
            Guid messageId = Guid.NewGuid();
            string replyAddress = _hostAddress + session.ReplyQueue;
            byte[] body = MassTransitEnvelope.Write(message, typeInfo, new RequestHeader(
                messageId, requestId, Guid.NewGuid(), replyAddress, _hostAddress + exchange, replyAddress, now, now + timeout, acceptTypes));
            var properties = new BasicProperties
            {
                ContentType = MassTransitEnvelope.ContentType,
                DeliveryMode = DeliveryModes.Persistent,
                MessageId = messageId.ToString(),

                // As MassTransit: a request nobody took within its timeout expires in the queue
                // instead of being answered to a requester that gave up.
                Expiration = ((long)timeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
            };

            await _publishing.WaitAsync(deadline.Token).ConfigureAwait(false);
            try
            {
                if (session.Declared.Add(exchange))
                {
                    try
                    {
                        await session.Channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: deadline.Token).ConfigureAwait(false);
                    }
                    catch
                    {
                        session.Declared.Remove(exchange);
                        throw;
                    }
                }

                // With confirmation tracking this returns once the broker acked the message, and
                // throws when it nacked it or the channel closed first.
                await session.Channel.BasicPublishAsync(exchange, string.Empty, false, properties, body, deadline.Token).ConfigureAwait(false);
                sent = true;
            }
            finally
            {
                _publishing.Release();
            }

            return await answer.Task.WaitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Still connecting when the time ran out (a broker host that does not answer at all) is a broker
            // that is away; connected but not taken (flow control, a blocked connection) is a busy one.
            throw sent ? new BusRequestTimeoutException($"no answer within {timeout.TotalSeconds:0.#}s")
                : connected ? new BusRequestException($"the broker {_address} did not take the request within {timeout.TotalSeconds:0.#}s")
                : new BrokerLostException($"no connection to the broker {_address} within {timeout.TotalSeconds:0.#}s");
        }
        catch (Exception e) when (e is not (OperationCanceledException or BusRequestException or ObjectDisposedException))
        {
            bool lost = false;
            if (e is AlreadyClosedException or OperationInterruptedException or PublishException or IOException)
            {
                // The channel or the connection is gone (an access refusal closes the channel):
                // the next request starts afresh.
                Session? current = Volatile.Read(ref _session);
                lost = e is AlreadyClosedException or IOException || current?.Connection.IsOpen == false;
                await DropAsync(current, Describe(e)).ConfigureAwait(false);
            }

            throw lost ? new BrokerLostException(Describe(e), e) : new BusRequestException(Describe(e), e);
        }
        finally
        {
            _pending.TryRemove(requestId, out _);
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _connecting.WaitAsync().ConfigureAwait(false);
        try
        {
            _disposed = true;
            Session? session = _session;
            _session = null;
            if (session is not null)
            {
                await CloseAsync(session, deleteReplyExchange: true).ConfigureAwait(false);
            }
        }
        finally
        {
            _connecting.Release();
        }

        FailPending(() => new BusRequestException("the agent is stopping"));
    }

    private async Task<Session> SessionAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _session) is { } current && current.IsOpen)
        {
            return current;
        }

        await _connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_session is { } again && again.IsOpen)
            {
                return again;
            }

            if (_session is { } stale)
            {
                _session = null;
                await CloseAsync(stale, deleteReplyExchange: true).ConfigureAwait(false);
            }

            Session session = await OpenAsync(cancellationToken).ConfigureAwait(false);
            _session = session;
            return session;
        }
        finally
        {
            _connecting.Release();
        }
    }

    private async Task<Session> OpenAsync(CancellationToken cancellationToken)
    {
        IConnection connection = await ConnectToANodeAsync(cancellationToken).ConfigureAwait(false);

        try
        {
            IChannel channel = await connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken).ConfigureAwait(false);

            // A fresh name for each connection: a queue of the lost connection may still be held
            // by the broker (exclusive) until it notices the loss.
            string reply = _replyPrefix + Guid.NewGuid().ToString("N");

            // The responder (MassTransit) declares the exchange of our response address with its
            // defaults before it publishes: durable fanout, not auto-deleted. Ours must be the
            // same or its declaration fails. The queue lives only as long as this connection.
            await channel.ExchangeDeclareAsync(reply, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken).ConfigureAwait(false);
            await channel.QueueDeclareAsync(reply, durable: false, exclusive: true, autoDelete: true, arguments: null, cancellationToken: cancellationToken).ConfigureAwait(false);
            await channel.QueueBindAsync(reply, reply, string.Empty, cancellationToken: cancellationToken).ConfigureAwait(false);
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += OnAnswerAsync;
            await channel.BasicConsumeAsync(reply, autoAck: true, consumer, cancellationToken).ConfigureAwait(false);

            var session = new Session(connection, channel, reply);
            connection.ConnectionShutdownAsync += (_, e) => OnShutdownAsync(session, e);
            channel.ChannelShutdownAsync += (_, e) => OnShutdownAsync(session, e);
            LogConnected(_log, $"{connection.Endpoint.HostName}:{connection.Endpoint.Port.ToString(CultureInfo.InvariantCulture)}", reply);
            return session;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    // The URI's node first, then Broker:ClusterNodes in turn, as the services connect (MassTransit's
    // UseCluster): an agent whose node of a cluster is gone goes on with the next one that answers.
    private async Task<IConnection> ConnectToANodeAsync(CancellationToken cancellationToken)
    {
        for (int i = 0; ; i++)
        {
            (string host, int port) = _nodes[i];
            try
            {
                return await Factory(host, port).CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (BrokerUnreachableException e) when (i + 1 < _nodes.Length)
            {
                LogNodeUnreachable(_log, $"{host}:{port.ToString(CultureInfo.InvariantCulture)}", Describe(e), $"{_nodes[i + 1].Host}:{_nodes[i + 1].Port.ToString(CultureInfo.InvariantCulture)}");
            }
            catch (BrokerUnreachableException e)
            {
                string why = _nodes.Length == 1 ? Describe(e) : $"no node of the broker's cluster answered ({_nodes.Length} tried, Broker:Uri and Broker:ClusterNodes); the last: {Describe(e)}";

                // A broker that refused our login or TLS is there and said no: that waits the long backoff.
                throw Refused(e) ? new BusRequestException(why, e) : new BrokerLostException(why, e);
            }
        }
    }

    /// <summary>The URI's host:port, then each of <paramref name="clusterNodes"/> not already named (validated at start).</summary>
    private static (string Host, int Port)[] NodesOf(BrokerAddress address, string? clusterNodes) =>
        [.. new[] { (address.Host, address.Port) }
            .Concat(BrokerClusterNodes.Parse(clusterNodes, address.Port).Select(n => (Host: n[..n.LastIndexOf(':')], Port: int.Parse(n[(n.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture))))
            .DistinctBy(n => (n.Item1.ToUpperInvariant(), n.Item2))];

    private ConnectionFactory Factory(string host, int port)
    {
        var factory = new ConnectionFactory
        {
            HostName = host,
            Port = port,
            VirtualHost = _address.VirtualHost,
            UserName = _address.Username,
            Password = _address.Password,
            ClientProvidedName = _options.ConnectionName ?? "kcrypt-push-agent",
            AutomaticRecoveryEnabled = false,
            TopologyRecoveryEnabled = false,
            RequestedConnectionTimeout = _options.RequestTimeout,
        };
        if (_address.UseTls)
        {
            factory.Ssl = new SslOption
            {
                Enabled = true,
                Version = SslProtocols.Tls12 | SslProtocols.Tls13,

                // Checked against the certificate's SAN (and sent as SNI): the URI's host, always, also
                // for the other nodes of a cluster (BrokerTls; the services do the same).
                ServerName = _address.Host,
                CertificateValidationCallback = (_, certificate, chain, errors) =>
                {
                    if (_tls.Validate(certificate, chain, errors, out string? reason))
                    {
                        return true;
                    }

                    LogRefusedCertificate(_log, host, port, reason!);
                    return false;
                },
                Certs = _tls.ClientCertificate is { } client ? new X509CertificateCollection { client } : null,
            };
        }

        return factory;
    }

    private Task OnAnswerAsync(object sender, BasicDeliverEventArgs delivery)
    {
        ReceivedEnvelope envelope;
        try
        {
            envelope = MassTransitEnvelope.Read(delivery.Body);
        }
        catch (JsonException e)
        {
            LogUnreadable(_log, e.Message);
            return Task.CompletedTask;
        }

        if (envelope.RequestId is not { } id || !_pending.TryGetValue(id, out TaskCompletionSource<ReceivedEnvelope>? waiting))
        {
            // An answer to a request that already timed out.
            return Task.CompletedTask;
        }

        if (envelope.IsFault)
        {
            waiting.TrySetException(new BusFaultException([.. envelope.FaultExceptions().Select(f => (f.ExceptionType, f.Message))]));
        }
        else
        {
            waiting.TrySetResult(envelope);
        }

        return Task.CompletedTask;
    }

    private async Task OnShutdownAsync(Session session, ShutdownEventArgs e)
    {
        if (e.Initiator == ShutdownInitiator.Application || _disposed)
        {
            return;
        }

        await DropAsync(session, $"{e.ReplyCode} {e.ReplyText}").ConfigureAwait(false);
    }

    /// <summary>Forgets <paramref name="session"/> (if still current) and fails the requests waiting on it.</summary>
    private async Task DropAsync(Session? session, string reason)
    {
        if (session is null || !ReferenceEquals(Interlocked.CompareExchange(ref _session, null, session), session))
        {
            return;
        }

        LogLost(_log, _address.ToString(), reason);
        FailPending(() => new BrokerLostException($"the broker connection was lost ({reason})"));
        await Task.Run(() => CloseAsync(session, deleteReplyExchange: false)).ConfigureAwait(false);
    }

    private void FailPending(Func<BusRequestException> reason)
    {
        foreach (TaskCompletionSource<ReceivedEnvelope> waiting in _pending.Values)
        {
            waiting.TrySetException(reason());
        }
    }

    /// <summary>True when the broker answered and refused us (login, TLS), not when it could not be reached.</summary>
    private static bool Refused(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is AuthenticationFailureException or AuthenticationException or PossibleAuthenticationFailureException)
            {
                return true;
            }

            if (x is AggregateException a && a.InnerExceptions.Any(Refused))
            {
                return true;
            }
        }

        return false;
    }

    private static async Task CloseAsync(Session session, bool deleteReplyExchange)
    {
        try
        {
            if (deleteReplyExchange && session.Channel.IsOpen)
            {
                // The responder made our reply exchange durable (MassTransit's default); remove it
                // rather than leave one behind per process. Best effort.
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await session.Channel.ExchangeDeleteAsync(session.ReplyQueue, ifUnused: false, cancellationToken: cts.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or AlreadyClosedException or OperationInterruptedException or IOException)
        {
        }

        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await session.Connection.CloseAsync(cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or AlreadyClosedException or OperationInterruptedException or IOException or SocketException)
        {
        }

        session.Connection.Dispose();
    }

    /// <summary>One line for a failure, with what to do about it where that is clear.</summary>
    private string Describe(Exception e)
    {
        Exception root = e;
        while (root.InnerException is not null && root is BrokerUnreachableException or AggregateException)
        {
            root = root.InnerException;
        }

        return root switch
        {
            AuthenticationFailureException => $"the broker {_address} refused the login of user '{_address.Username}' (wrong user or password in Broker:Uri)",
            AuthenticationException a => $"TLS with the broker {_address} failed: {a.Message}",
            ConnectFailureException or SocketException => $"cannot reach the broker {_address}: {Flatten(root)}",
            OperationInterruptedException o when o.ShutdownReason is { } r => $"the broker closed the channel: {r.ReplyCode} {r.ReplyText}",
            PublishException => "the broker did not confirm the request (nack)",
            _ => $"{root.GetType().Name}: {Flatten(root)}",
        };
    }

    private static string Flatten(Exception e) =>
        e.InnerException is { } inner && !e.Message.Contains(inner.Message, StringComparison.Ordinal)
            ? $"{e.Message.ReplaceLineEndings(" ")} ({inner.Message.ReplaceLineEndings(" ")})"
            : e.Message.ReplaceLineEndings(" ");

    /// <summary>MassTransit keeps letters and digits of the host and process names in a bus endpoint's name.</summary>
    private static string Sanitize(string value)
    {
        string kept = new([.. value.Where(char.IsAsciiLetterOrDigit)]);
        return kept.Length > 0 ? kept : "node";
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Connected to the broker {Broker}, reply queue {ReplyQueue}")]
    private static partial void LogConnected(ILogger logger, string broker, string replyQueue);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Lost the broker {Broker}: {Reason}; the next request reconnects")]
    private static partial void LogLost(ILogger logger, string broker, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Ignored an answer on the reply queue that is no MassTransit envelope: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "Broker TLS: refusing the certificate of {Host}:{Port}: {Reason}")]
    private static partial void LogRefusedCertificate(ILogger logger, string host, int port, string reason);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Broker node {Node} did not accept the connection: {Reason}; trying {Next}")]
    private static partial void LogNodeUnreachable(ILogger logger, string node, string reason, string next);

    private sealed record Session(IConnection Connection, IChannel Channel, string ReplyQueue)
    {
        /// <summary>The exchanges declared on this connection (once each).</summary>
        public HashSet<string> Declared { get; } = new(StringComparer.Ordinal);

        public bool IsOpen => Connection.IsOpen && Channel.IsOpen;
    }
}
