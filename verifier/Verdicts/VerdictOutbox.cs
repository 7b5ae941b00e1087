using System.Text.Json;
using System.Threading.Channels;
using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Verifier.Verdicts;

/// <summary>
/// Verdict events go out through the node's record, never straight to the broker: whoever changes
/// a node's state stages the event in the record it saves (<see cref="Stage"/>) and then calls
/// <see cref="Notify"/>; <see cref="VerdictOutboxService"/> publishes it and removes it once the
/// broker confirmed. A verifier killed in between, or a broker away at that moment, delays the event
/// but never loses it.
/// </summary>
public sealed class VerdictOutbox
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Channel<string> _wake = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Adds <paramref name="verdict"/> to <paramref name="record"/>'s pending events; the
    /// caller saves the record (under the node's gate) with the state change.</summary>
    public static PendingVerdict Stage(NodeAttestation record, INodeVerdict verdict, DateTime nowUtc)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(verdict);
        if (verdict.TpmHash != record.TpmHash)
        {
            throw new ArgumentException($"a verdict about {verdict.TpmHash} staged in the record of {record.TpmHash}", nameof(verdict));
        }

        var pending = new PendingVerdict
        {
            Id = Guid.NewGuid(),
            Type = verdict.GetType().Name,
            Json = JsonSerializer.Serialize(verdict, verdict.GetType(), Json),
            CreatedAt = nowUtc,
        };
        (record.PendingVerdicts ??= []).Add(pending);
        return pending;
    }

    /// <summary>The event a <see cref="PendingVerdict"/> holds.</summary>
    /// <exception cref="InvalidDataException">An unknown type or JSON that does not read as it.</exception>
    public static INodeVerdict Read(PendingVerdict pending)
    {
        ArgumentNullException.ThrowIfNull(pending);
        try
        {
            INodeVerdict? verdict = pending.Type switch
            {
                nameof(NodeTrusted) => JsonSerializer.Deserialize<NodeTrusted>(pending.Json, Json),
                nameof(NodeQuarantined) => JsonSerializer.Deserialize<NodeQuarantined>(pending.Json, Json),
                nameof(NodeSilent) => JsonSerializer.Deserialize<NodeSilent>(pending.Json, Json),
                nameof(NodeTerminated) => JsonSerializer.Deserialize<NodeTerminated>(pending.Json, Json),
                nameof(NodeReleased) => JsonSerializer.Deserialize<NodeReleased>(pending.Json, Json),
                _ => throw new InvalidDataException($"pending verdict {pending.Id} has unknown type '{pending.Type}'"),
            };
            return verdict ?? throw new InvalidDataException($"pending verdict {pending.Id} ({pending.Type}) is JSON null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"pending verdict {pending.Id} ({pending.Type}) does not read: {e.Message}", e);
        }
    }

    /// <summary>Wakes the publisher for the node of <paramref name="staged"/> once its record was
    /// saved; nothing when no verdict was staged (null).</summary>
    public void Notify(INodeVerdict? staged)
    {
        if (staged is not null)
        {
            _wake.Writer.TryWrite(staged.TpmHash);
        }
    }

    /// <summary>The nodes notified since the publisher last read.</summary>
    internal ChannelReader<string> Notified => _wake.Reader;
}
