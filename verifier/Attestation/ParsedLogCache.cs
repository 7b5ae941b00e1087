using KcryptPush.Attestation.EventLog;

namespace KcryptPush.Verifier.Attestation;

/// <summary>
/// Parsed event logs by SHA-256, least recently used first out, bounded by an estimate of the memory
/// they take (a count of entries bounds nothing when logs can be 1 MiB each): the log's bytes, which
/// the parsed events keep, plus <see cref="BytesPerEvent"/> for each event's objects (a 1 MiB log of
/// 5,400 tiny events cost far more than its bytes in the noisy-neighbour load run). Thread-safe.
/// </summary>
public sealed class ParsedLogCache(long capacityBytes)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, LinkedListNode<(string Key, ParsedEventLog Log, int Bytes)>> _byKey = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Key, ParsedEventLog Log, int Bytes)> _order = new();

    /// <summary>The estimated cost of one parsed event's objects (event, digests, views), beyond the log's bytes.</summary>
    public const int BytesPerEvent = 512;

    /// <summary>The estimated bytes of the logs held now.</summary>
    public long Bytes { get; private set; }

    /// <summary>The logs held now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _byKey.Count;
            }
        }
    }

    /// <summary>The parsed log of <paramref name="sha256"/>, parsing <paramref name="bytes"/> when not held.</summary>
    /// <exception cref="EventLogFormatException">The log does not parse (nothing is cached).</exception>
    public ParsedEventLog GetOrParse(byte[] sha256, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(sha256);
        ArgumentNullException.ThrowIfNull(bytes);
        string key = Convert.ToHexStringLower(sha256);
        lock (_gate)
        {
            if (_byKey.TryGetValue(key, out LinkedListNode<(string Key, ParsedEventLog Log, int Bytes)>? hit))
            {
                _order.Remove(hit);
                _order.AddFirst(hit);
                return hit.Value.Log;
            }
        }

        ParsedEventLog parsed = EventLogParser.Parse(bytes.AsSpan());
        int cost = checked(bytes.Length + (parsed.UntrustedEvents.Count * BytesPerEvent));
        if (cost > capacityBytes)
        {
            return parsed;
        }

        lock (_gate)
        {
            if (!_byKey.ContainsKey(key))
            {
                _byKey[key] = _order.AddFirst((key, parsed, cost));
                Bytes += cost;
                while (Bytes > capacityBytes && _order.Last is { } oldest)
                {
                    _order.RemoveLast();
                    _byKey.Remove(oldest.Value.Key);
                    Bytes -= oldest.Value.Bytes;
                }
            }
        }

        return parsed;
    }
}
