using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace KcryptPush.Agent.Hosting;

/// <summary>
/// Pings systemd's watchdog (WATCHDOG=1, sd_notify(3)) at half of WATCHDOG_USEC when the unit sets
/// WatchdogSec=; does nothing otherwise. Registered after the enrolment service, so it starts only
/// once the agent is enrolled. The push loop will take this over (a ping per healthy interval).
/// </summary>
public sealed class WatchdogService(IServiceProvider services, ILogger<WatchdogService> log) : BackgroundService
{
    /// <summary>The ping period from WATCHDOG_USEC/WATCHDOG_PID (sd_watchdog_enabled(3)), or null.</summary>
    public static TimeSpan? PeriodFrom(string? watchdogUsec, string? watchdogPid, int processId)
    {
        if (!ulong.TryParse(watchdogUsec, NumberStyles.None, CultureInfo.InvariantCulture, out ulong usec) || usec == 0)
        {
            return null;
        }

        if (!string.IsNullOrEmpty(watchdogPid)
            && (!int.TryParse(watchdogPid, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid != processId))
        {
            return null; // meant for another process
        }

        return TimeSpan.FromMicroseconds(usec / 2.0);
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        ISystemdNotifier? notifier = services.GetService<ISystemdNotifier>();
        TimeSpan? period = PeriodFrom(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), Environment.GetEnvironmentVariable("WATCHDOG_PID"), Environment.ProcessId);
        if (notifier is not { IsEnabled: true } || period is null)
        {
            return;
        }

        log.LogInformation("systemd watchdog enabled: pinging every {Period:0.0}s", period.Value.TotalSeconds);
        using var timer = new PeriodicTimer(period.Value);
        do
        {
            notifier.Notify(new ServiceState("WATCHDOG=1"));
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
