using KcryptPush.Messaging;
using KcryptPush.Verifier.Hosting;
using KcryptPush.Verifier.Operator;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Logging;

namespace KcryptPush.Verifier.Cli;

/// <summary>
/// A short-lived bus for one operator command: the broker from <c>--broker</c> / KCRYPTPUSH_BROKER /
/// appsettings.json (wired like every service by <see cref="KcryptPushBus"/>), requests to the
/// verifier's operator queue, one deadline (<c>--timeout</c>) for connecting and answering.
/// </summary>
internal sealed class NodesClient : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly IBusControl _bus;
    private readonly CancellationTokenSource _deadline;
    private DateTime _deadlineAt;

    private NodesClient(ServiceProvider services, IBusControl bus, CancellationTokenSource deadline, string broker, string brokerUser, string endpoint)
    {
        Endpoint = endpoint;
        BrokerUser = brokerUser;
        _services = services;
        _bus = bus;
        _deadline = deadline;
        Broker = broker;
    }

    /// <summary>Host and port of the broker (no credentials), for messages.</summary>
    public string Broker { get; }

    /// <summary>
    /// The broker and vhost the verifier is reached through, <c>host:port/vhost</c> (vhost percent-encoded,
    /// so <c>127.0.0.1:5672/%2F</c> for the default): the name a verifier's key is pinned under.
    /// </summary>
    public string Endpoint { get; }

    /// <summary>
    /// The broker user of this connection, sent as the AMQP <c>user_id</c> of every request: RabbitMQ
    /// refuses a <c>user_id</c> other than the connection's user, so the verifier audits this user.
    /// </summary>
    public string BrokerUser { get; }

    /// <summary>Cancelled at the deadline or when the command is cancelled.</summary>
    public CancellationToken Token => _deadline.Token;

    /// <summary>Connects. Throws <see cref="CliInputException"/> for a malformed broker URI and <see cref="VerifierUnreachableException"/> when the broker does not answer in time.</summary>
    public static async Task<NodesClient> ConnectAsync(string? broker, TimeSpan timeout, CancellationToken cancellationToken)
    {
        IConfigurationRoot config = new ConfigurationBuilder()
            .AddVerifierSources([KeyValuePair.Create("Broker:Uri", broker)])
            .Build();
        string uri = config[$"{BrokerOptions.Section}:Uri"] ?? BrokerOptions.DefaultUri;
        BrokerAddress address;
        try
        {
            address = BrokerAddress.Parse(uri);
        }
        catch (InvalidBrokerUriException e)
        {
            throw new CliInputException(e.Message);
        }

        var services = new ServiceCollection();
        services.AddLogging(l => l.ClearProviders());
        services.AddKcryptPushBus(config);
        ServiceProvider provider = services.BuildServiceProvider();
        IBusControl bus;
        try
        {
            bus = provider.GetRequiredService<IBusControl>();
        }
        catch (OptionsValidationException e)
        {
            // E.g. a Broker:CaFile that is missing or not PEM: one line, not a stack trace.
            await provider.DisposeAsync().ConfigureAwait(false);
            throw new CliInputException($"invalid broker configuration: {string.Join("; ", e.Failures)}");
        }

        var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var client = new NodesClient(provider, bus, deadline, $"{address.Host}:{address.Port}", address.Username,
            $"{address.Host.ToLowerInvariant()}:{address.Port}/{Uri.EscapeDataString(address.VirtualHost)}")
        {
            _deadlineAt = DateTime.UtcNow + timeout,
        };
        try
        {
            await client._bus.StartAsync(deadline.Token).ConfigureAwait(false);
            return client;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw new VerifierUnreachableException(cancellationToken.IsCancellationRequested
                ? "cancelled"
                : $"cannot reach the broker at {client.Broker} within {timeout.TotalSeconds:0.###}s ({e.GetType().Name}: {e.GetBaseException().Message.ReplaceLineEndings(" ")})", e);
        }
    }

    /// <summary>Sends <paramref name="request"/> to the verifier and waits for <typeparamref name="T1"/> or <typeparamref name="T2"/>.</summary>
    public Task<Response<T1, T2>> AskAsync<TRequest, T1, T2>(TRequest request)
        where TRequest : class where T1 : class where T2 : class =>
        Ask(request, (client, token) => client.GetResponse<T1, T2>(request, SetUserId<TRequest>, token));

    /// <summary>Sends <paramref name="request"/> to the verifier and waits for <typeparamref name="T"/>.</summary>
    public Task<Response<T>> AskAsync<TRequest, T>(TRequest request)
        where TRequest : class where T : class =>
        Ask(request, (client, token) => client.GetResponse<T>(request, SetUserId<TRequest>, token));

    private void SetUserId<TRequest>(IRequestPipeConfigurator<TRequest> request)
        where TRequest : class =>
        request.UseExecute(context =>
        {
            if (context.TryGetPayload(out RabbitMqSendContext? rmq))
            {
                rmq.BasicProperties.UserId = BrokerUser;
            }
        });

    private async Task<TResponse> Ask<TRequest, TResponse>(TRequest request, Func<IRequestClient<TRequest>, CancellationToken, Task<TResponse>> ask)
        where TRequest : class
    {
        ArgumentNullException.ThrowIfNull(request);
        int remaining = (int)Math.Clamp((_deadlineAt - DateTime.UtcNow).TotalMilliseconds, 1, int.MaxValue);
        IRequestClient<TRequest> client = _bus.CreateRequestClient<TRequest>(VerifierOperatorRegistration.Address, RequestTimeout.After(ms: remaining));
        try
        {
            return await ask(client, Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or RequestTimeoutException)
        {
            throw new VerifierUnreachableException($"no answer from the verifier (queue {VerifierOperatorRegistration.Queue} via {Broker}) in time: is 'kcrypt-push-verifier run' running?", e);
        }
        catch (RequestFaultException e)
        {
            throw new VerifierUnreachableException($"the verifier failed the request: {e.Fault?.Exceptions.FirstOrDefault()?.Message ?? e.Message}", e);
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        try
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _bus.StopAsync(stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or MassTransitException)
        {
            // Leaving anyway: the broker drops the temporary response queue with the connection.
        }

        await _services.DisposeAsync().ConfigureAwait(false);
        _deadline.Dispose();
    }
}
