using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KcryptPush.Agent.Bus;

/// <summary>
/// Opens the broker connection in the background when the host starts, so that the first request
/// (the discovery call's RequestChallenge, after it has read the TPM) does not wait for TCP, TLS
/// and AMQP's handshakes. Never delays or fails the start: a broker that is away is met again,
/// and reported, by the first request.
/// </summary>
internal sealed partial class BrokerConnectionWarmup(AmqpRequestClient client, ILogger<BrokerConnectionWarmup> log) : IHostedService
{
    private readonly CancellationTokenSource _stopping = new();

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = Task.Run(async () =>
        {
            try
            {
                await client.ConnectAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogNotYet(log, e.Message.ReplaceLineEndings(" "));
            }
        }, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Debug, Message = "Broker not reached at start ({Reason}); the first request tries again")]
    private static partial void LogNotYet(ILogger logger, string reason);
}
