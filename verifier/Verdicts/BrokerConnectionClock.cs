namespace KcryptPush.Verifier.Verdicts;

/// <summary>
/// Whether the verifier can hear evidence now, and since when (<see cref="SilenceRule"/>). It starts
/// down: a verifier that just started has heard nothing yet, whatever its store says about last
/// evidence. <see cref="BrokerConnectionObserver"/> moves it from MassTransit's endpoint events.
/// </summary>
public sealed class BrokerConnectionClock
{
    private readonly Lock _gate = new();
    private DateTime? _connectedSince;

    /// <summary>A clock that has been up since the beginning of time: silence as if there were no broker
    /// (for a detector without a bus, as in tests of the store alone).</summary>
    public static BrokerConnectionClock AlwaysConnected { get; } = Up(DateTime.MinValue);

    /// <summary>When the connection last came up (UTC); null while it is down.</summary>
    public DateTime? ConnectedSince
    {
        get
        {
            lock (_gate)
            {
                return _connectedSince;
            }
        }
    }

    /// <summary>How many times it went down after being up (for logs and tests).</summary>
    public int Outages { get; private set; }

    /// <summary>A clock that is up since <paramref name="at"/>.</summary>
    public static BrokerConnectionClock Up(DateTime at)
    {
        var clock = new BrokerConnectionClock();
        clock.Connected(at);
        return clock;
    }

    /// <summary>The connection is up at <paramref name="at"/>; a repeated "up" keeps the earlier time.
    /// Returns true when this was a change.</summary>
    public bool Connected(DateTime at)
    {
        lock (_gate)
        {
            if (_connectedSince is not null)
            {
                return false;
            }

            _connectedSince = at;
            return true;
        }
    }

    /// <summary>The connection is down: silence stops counting until it is up again. Returns true when this was a change.</summary>
    public bool Disconnected()
    {
        lock (_gate)
        {
            if (_connectedSince is null)
            {
                return false;
            }

            _connectedSince = null;
            Outages++;
            return true;
        }
    }
}
