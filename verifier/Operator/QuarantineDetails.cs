using System.Collections.Concurrent;
using KcryptPush.Contracts.V1;
using MassTransit;

namespace KcryptPush.Verifier.Operator;

/// <summary>
/// The <see cref="NodeQuarantined"/> each quarantined node was last reported with (reasons, failing
/// PCRs, first broken event), seen as the verifier publishes its own verdicts, so that
/// <see cref="NodeOperations.List"/> (the status page and <c>nodes list</c>) can say why a node is
/// quarantined. A verdict that ends the quarantine (trusted, released, terminated) forgets it; silence
/// does not (a quarantined node that keeps failing without complete evidence turns Silent).
/// In memory only: the node's stored record keeps the state and the history keeps reason codes and
/// messages, but not the failing PCRs or the event; after a restart the list falls back to the
/// reasons of the last failed attestation until the node is quarantined again.
/// </summary>
public sealed class QuarantineDetails : IPublishObserver
{
    private readonly ConcurrentDictionary<string, NodeQuarantined> _last = new(StringComparer.Ordinal);

    /// <summary>The quarantine last published for <paramref name="tpmHash"/>, if it still stands.</summary>
    public NodeQuarantined? Find(string tpmHash) => _last.GetValueOrDefault(tpmHash);

    /// <summary>Records <paramref name="verdict"/> (a quarantine replaces any earlier one; trusted, released or terminated forgets it).</summary>
    public void Seen(INodeVerdict verdict)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        if (verdict is NodeQuarantined q)
        {
            _last[q.TpmHash] = q;
        }
        else if (verdict is not NodeSilent)
        {
            _last.TryRemove(verdict.TpmHash, out _);
        }
    }

    /// <inheritdoc/>
    public Task PrePublish<T>(PublishContext<T> context)
        where T : class => Task.CompletedTask;

    /// <inheritdoc/>
    public Task PostPublish<T>(PublishContext<T> context)
        where T : class
    {
        if (context?.Message is INodeVerdict verdict)
        {
            Seen(verdict);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task PublishFault<T>(PublishContext<T> context, Exception exception)
        where T : class => Task.CompletedTask;
}
