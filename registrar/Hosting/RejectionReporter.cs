using KcryptPush.Registrar.Enrolment;
using KcryptPush.Registrar.Options;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KcryptPush.Registrar.Hosting;

/// <summary>
/// Calls <see cref="EnrolmentService.ReportRejections"/> every
/// <see cref="RegistrarOptions.RejectionReportInterval"/> and once more when the service stops, so
/// the rejection counters reach the store and the log while nothing else happens.
/// </summary>
internal sealed class RejectionReporter(EnrolmentService enrolment, RegistrarOptions options, TimeProvider time, ILogger<RejectionReporter> log) : BackgroundService
{
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        Report();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.RejectionReportInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                Report();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void Report()
    {
        try
        {
            enrolment.ReportRejections();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or LiteDB.LiteException or Npgsql.NpgsqlException or InvalidOperationException)
        {
            // The counts stay in memory and are stored at the next report.
            log.LogError(e, "Could not store the rejection counters: {Error}", e.Message);
        }
    }
}
