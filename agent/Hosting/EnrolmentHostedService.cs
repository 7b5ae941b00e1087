using KcryptPush.Agent.Enrolment;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace KcryptPush.Agent.Hosting;

/// <summary>
/// Enrols in <see cref="StartAsync"/>, which the host awaits before it declares itself started:
/// the systemd lifetime (UseSystemd) sends READY=1 on ApplicationStarted, so systemd sees the
/// agent ready only once it is enrolled. A final failure throws <see cref="EnrolmentFailedException"/>
/// (no READY, exit 1, systemd's Restart= decides what next). SIGTERM during enrolment cancels it.
/// </summary>
public sealed class EnrolmentHostedService(Enroller enroller, AgentEnrolment state, IServiceProvider services, ILogger<EnrolmentHostedService> log) : IHostedService
{
    /// <inheritdoc/>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        ISystemdNotifier? notifier = services.GetService<ISystemdNotifier>();
        if (notifier?.IsEnabled == true)
        {
            notifier.Notify(new ServiceState("STATUS=enrolling with the registrar"));
        }

        EnrolmentResult result = await enroller.EnrolAsync(cancellationToken).ConfigureAwait(false);
        if (result.Status != EnrolmentStatus.Enrolled)
        {
            log.LogCritical("Not enrolled, stopping: {Message}", result.Message);
            throw new EnrolmentFailedException(result);
        }

        using (log.BeginScope("node={node}", result.TpmHash))
        {
            log.LogInformation("Node {Node} enrolled; starting the attestation push loop", result.TpmHash);
        }

        state.Complete(result.Enrolled!);
        if (notifier?.IsEnabled == true)
        {
            notifier.Notify(new ServiceState($"STATUS=enrolled as {result.TpmHash}"));
        }
    }

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
