namespace KcryptPush.Http;

/// <summary>
/// <c>store</c> for a database server (the registrar's and the verifier's PostgreSQL stores): a write
/// through the store's own API that changes nothing, which fails on a read-only standby, a lost
/// connection or revoked rights. It runs in the background at most every <see cref="ProbeInterval"/>,
/// so /readyz waits on the database at most <see cref="FirstProbeWait"/>, and only before the first
/// probe finished; afterwards it answers with the last probe's result.
/// </summary>
/// <param name="description">The store as the results name it (no password).</param>
/// <param name="probe">The write that changes nothing; whatever it throws makes the service unready.</param>
public sealed class ProbedStoreReadinessCheck(string description, Action probe) : IReadinessCheck
{
    /// <summary>How often the database is probed at most.</summary>
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(5);

    /// <summary>How long a request waits for the very first probe.</summary>
    public static readonly TimeSpan FirstProbeWait = TimeSpan.FromSeconds(2);

    private readonly Lock _gate = new();
    private ReadinessResult? _last;
    private DateTime _probedAt;
    private Task? _probe;

    /// <inheritdoc/>
    public string Name => "store";

    /// <inheritdoc/>
    public ReadinessResult Check()
    {
        Task? running;
        lock (_gate)
        {
            if (_probe is null && DateTime.UtcNow - _probedAt >= ProbeInterval)
            {
                _probe = Task.Run(Probe);
            }

            running = _probe;
            if (_last is { } known)
            {
                return known;
            }
        }

        running?.Wait(FirstProbeWait);
        lock (_gate)
        {
            return _last ?? ReadinessResult.Fail($"{description}: no answer within {FirstProbeWait.TotalSeconds:0} s");
        }
    }

    private void Probe()
    {
        ReadinessResult result;
        try
        {
            probe();
            result = ReadinessResult.Pass($"{description} writable");
        }
#pragma warning disable CA1031 // whatever the database throws makes the service unready, with its message
        catch (Exception e)
#pragma warning restore CA1031
        {
            result = ReadinessResult.Fail($"{description}: {e.GetType().Name}: {e.Message}");
        }

        lock (_gate)
        {
            _last = result;
            _probedAt = DateTime.UtcNow;
            _probe = null;
        }
    }
}
