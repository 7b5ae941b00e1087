using KcryptPush.Agent.Hosting;
using KcryptPush.Contracts.V1;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KcryptPush.Agent.Attestation;

/// <summary>
/// Runs the <see cref="PushLoop"/> once enrolment completed (registered after the enrolment
/// service, so it starts after READY=1). A terminated node stays alive without pushing; the
/// watchdog service keeps pinging either way.
/// </summary>
public sealed class PushLoopService(AgentEnrolment enrolment, PushLoop loop, AgentSettings settings, ILogger<PushLoopService> log) : BackgroundService
{
    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        NodeEnrolled enrolled = await enrolment.Enrolled.WaitAsync(stoppingToken).ConfigureAwait(false);
        var node = new NodeIdentity(enrolled.TpmHash, enrolled.AkName, settings.EffectiveHostname);
        PushOutcome outcome = await loop.RunAsync(node, stoppingToken).ConfigureAwait(false);
        if (outcome == PushOutcome.Terminated)
        {
            log.LogWarning("Node {Node} stopped pushing (terminated by the verifier); the service stays up until stopped", node.TpmHash);
        }
    }
}
