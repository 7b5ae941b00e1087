using KcryptPush.Contracts.V1;
using KcryptPush.Messaging;
using KcryptPush.Verifier.Store;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace KcryptPush.Verifier.Enrolment;

/// <summary>
/// Consumes the registrar's NodeEnrolled (queue <c>kcrypt-push-verifier-enrolment</c>, bound to the
/// <c>KcryptPush.Contracts.V1:NodeEnrolled</c> exchange) and creates or updates the node. No tenant
/// step: a node the registrar enrolled is attestable at once. The message is acknowledged after
/// the store committed; redelivery is harmless (<see cref="NodeEnrolment.Apply"/> is idempotent).
/// </summary>
public sealed class NodeEnrolledConsumer(IVerifierStore store, TimeProvider time, ILogger<NodeEnrolledConsumer> log) : IConsumer<NodeEnrolled>
{
    /// <inheritdoc/>
    public Task Consume(ConsumeContext<NodeEnrolled> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        NodeEnrolled m = context.Message;
        if (m.TpmHash is not { Length: 64 } || m.AkName is not { Length: > 2 } || m.AkPublic is not { Length: > 0 } || m.EkPublic is not { Length: > 0 })
        {
            throw new MessageValidationException("NodeEnrolled needs TpmHash (64 hex), EkPublic, AkPublic and AkName");
        }

        bool changed;
        using (IVerifierUnit unit = store.BeginNode(m.TpmHash))
        {
            changed = NodeEnrolment.Apply(unit, m, time.GetUtcNow().UtcDateTime);
            unit.Commit();
        }

        if (changed)
        {
            log.LogInformation("Node {Node} ({Hostname}) added or updated from the registrar, AK {AkName}",
                m.TpmHash, m.Hostname, Convert.ToHexStringLower(m.AkName));
        }

        return Task.CompletedTask;
    }
}
