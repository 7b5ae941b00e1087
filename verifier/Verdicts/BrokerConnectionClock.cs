namespace KcryptPush.Verifier.Verdicts;

/// <summary>
/// Whether the verifier can hear evidence now, and since when (<see cref="SilenceRule"/>). It starts
/// down: a verifier that just started has heard nothing yet, whatever its store says about last
/// evidence. <see cref="BrokerConnectionObserver"/> moves it from MassTransit's endpoint events.
/// </summary>
public sealed class BrokerConnectionClock
{
    /// <summary>
    /// How long after the verifier's connection comes back from an outage before silence counts
    /// (<see cref="Settle"/>): the nodes most likely lost the broker too and come back a little after it. An
    /// agent tries a broker that is away at least every 5 s (Agent:BrokerRetryMaxDelay) and the services every
    /// 3 s plus 1 s (Broker:ReconnectMaxInterval, <c>BrokerReconnectPolicy</c>), so a node is heard again a few
    /// seconds after the verifier consumes (200 simulated nodes after a 30 s outage: every one within 9 s of the
    /// broker's return, BrokerOutageFleetTests); 15 s is three agent steps, room for the queue the outage left.
    /// It was 30 s while MassTransit's own schedule (up to 30 s between attempts) kept nodes away that long.
    /// Not on the first connection after a start: the nodes were connected then.
    /// </summary>
    public static readonly TimeSpan DefaultSettle = TimeSpan.FromSeconds(15);

    private readonly Lock _gate = new();
    private DateTime? _connectedSince;
    private DateTime? _countsFrom;

    /// <summary>A clock that has been up since the beginning of time: silence as if there were no broker
    /// (for a detector without a bus, as in tests of the store alone).</summary>
    public static BrokerConnectionClock AlwaysConnected { get; } = Up(DateTime.MinValue);

    /// <summary>The allowance after a reconnection for the nodes' own reconnection (default <see cref="DefaultSettle"/>).</summary>
    public TimeSpan Settle { get; init; } = DefaultSettle;

    /// <summary>From when the nodes could have been heard: <see cref="ConnectedSince"/>, plus <see cref="Settle"/> when
    /// the connection came back from an outage; null while down.</summary>
    public DateTime? CountsFrom
    {
        get
        {
            lock (_gate)
            {
                return _countsFrom;
            }
        }
    }

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

    /// <summary>A clock that is up since <paramref name="at"/> (with no settle time unless given).</summary>
    public static BrokerConnectionClock Up(DateTime at, TimeSpan settle = default)
    {
        var clock = new BrokerConnectionClock { Settle = settle };
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
            _countsFrom = Outages > 0 ? at + Settle : at;
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
            _countsFrom = null;
            Outages++;
            return true;
        }
    }
}
