using KcryptPush.Contracts.V1;
using MassTransit;

namespace KcryptPush.Verifier.Metrics;

/// <summary>
/// Counts <c>kcrypt_push_verdict_events_published_total{type}</c> from the bus's publish observer:
/// PostPublish runs once the broker confirmed (publisher confirms), whoever published, so the
/// outbox needs no change to be counted.
/// </summary>
public sealed class VerdictPublishCounter(VerifierMetrics metrics) : IPublishObserver
{
    /// <inheritdoc/>
    public Task PrePublish<T>(PublishContext<T> context)
        where T : class => Task.CompletedTask;

    /// <inheritdoc/>
    public Task PostPublish<T>(PublishContext<T> context)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Message is INodeVerdict)
        {
            metrics.VerdictPublished(context.Message.GetType().Name);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task PublishFault<T>(PublishContext<T> context, Exception exception)
        where T : class => Task.CompletedTask;
}
