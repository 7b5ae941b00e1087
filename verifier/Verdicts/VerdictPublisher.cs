using KcryptPush.Contracts.V1;
using KcryptPush.Messaging;
using MassTransit;

namespace KcryptPush.Verifier.Verdicts;

/// <summary>
/// Publishes verdict events by their concrete type. MassTransit's RabbitMQ topology publishes each
/// to the exchange of its type (e.g. <c>KcryptPush.Contracts.V1:NodeQuarantined</c>) bound to the
/// exchange of every interface it implements, so <see cref="VerdictExchange"/> receives them all.
/// </summary>
public static class VerdictPublisher
{
    /// <summary>
    /// The verdict exchange (fanout, durable): MassTransit's default name for <see cref="INodeVerdict"/>.
    /// Alert consumers bind their own queue here and get NodeTrusted, NodeQuarantined, NodeSilent and NodeTerminated.
    /// </summary>
    public const string VerdictExchange = KcryptPushQueues.VerdictExchange;

    /// <summary>Publishes <paramref name="verdict"/> with <paramref name="messageId"/> as its MessageId
    /// (the <see cref="Store.PendingVerdict"/> id, so a consumer can drop a repeat).</summary>
    public static Task Publish(IPublishEndpoint endpoint, INodeVerdict verdict, Guid messageId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(verdict);
        return verdict switch
        {
            NodeTrusted t => endpoint.Publish(t, c => c.MessageId = messageId, cancellationToken),
            NodeQuarantined q => endpoint.Publish(q, c => c.MessageId = messageId, cancellationToken),
            NodeSilent s => endpoint.Publish(s, c => c.MessageId = messageId, cancellationToken),
            NodeTerminated t => endpoint.Publish(t, c => c.MessageId = messageId, cancellationToken),
            NodeReleased r => endpoint.Publish(r, c => c.MessageId = messageId, cancellationToken),
            _ => throw new ArgumentException($"unknown verdict type {verdict.GetType().Name}", nameof(verdict)),
        };
    }
}
