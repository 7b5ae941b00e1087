using KcryptPush.Verifier.Attestation;
using KcryptPush.Verifier.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KcryptPush.Verifier.Verdicts;

/// <summary>
/// Runs <see cref="SilenceDetector"/> every half interval (at most every 30 s), hands the NodeSilent
/// events it staged to <see cref="VerdictOutbox"/>, and prunes challenges that expired more than a day ago.
/// Before each scan the broker connection clock is checked against the bus's health (<see cref="BrokerConnectionProbe"/>).
/// Of several verifiers sharing a store, the one holding <see cref="ScanLease"/> scans (its lease lives three
/// periods, so a killed holder's scans resume on another instance within about three periods).
/// </summary>
public sealed class SilenceDetectorService(
    SilenceDetector detector, IVerifierStore store, VerdictOutbox outbox, VerifierOptions options, TimeProvider time, ILogger<SilenceDetectorService> log,
    BrokerConnectionProbe? probe = null, ScanLease? lease = null) : BackgroundService
{
    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        TimeSpan period = TimeSpan.FromTicks(Math.Clamp(options.Interval.Ticks / 2, TimeSpan.FromMilliseconds(200).Ticks, TimeSpan.FromSeconds(30).Ticks));
        using var timer = new PeriodicTimer(period, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                probe?.Reconcile();
                if (lease is not null && !lease.TryHold(3 * period))
                {
                    continue;
                }

                foreach (var silent in detector.Scan())
                {
                    log.LogWarning("Node {Node} ({Hostname}) is silent: no evidence for {Intervals} intervals", silent.TpmHash, silent.Hostname, silent.Intervals);
                    outbox.Notify(silent);
                }

                store.PruneChallenges(time.GetUtcNow().UtcDateTime.AddDays(-1));
            }
            catch (Exception e) when (e is LiteDB.LiteException or IOException or Npgsql.NpgsqlException)
            {
                log.LogError(e, "Silence scan failed; retrying next tick");
            }
        }
    }
}
