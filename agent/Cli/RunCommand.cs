using System.CommandLine;
using KcryptPush.Agent.Hosting;
using KcryptPush.Messaging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace KcryptPush.Agent.Cli;

/// <summary><c>kcrypt-push-agent run</c>: the long-running systemd service.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var options = new ServiceOptions();
        var push = new PushOptions();
        var run = new Command("run",
            "Run the agent service: enrol this node's TPM with the registrar (RegisterNode, credential activation, "
            + "CredentialProof), retrying with capped exponential backoff while the broker or registrar is away; "
            + "report READY=1 to systemd (Type=notify) only once enrolled, then stay alive and ping the watchdog "
            + "(WatchdogSec=); then run the attestation push loop: a challenge from the verifier at start, and every --interval a "
            + "TPM2_Quote over it with the PCR values and the event log's SHA-256 (the whole log only when the verifier "
            + "asks); each result carries the next challenge. A terminated node stops pushing and stays up. A final "
            + "enrolment rejection exits 1 without READY.");
        options.AddTo(run);
        push.AddTo(run);
        run.SetAction((parse, _) =>
        {
            (Dictionary<string, string?> overrides, string? error) = options.Read(parse);
            error ??= push.Read(parse, overrides);
            if (error is not null)
            {
                Console.Error.WriteLine($"kcrypt-push-agent: {error}");
                return Task.FromResult(ExitCodes.Usage);
            }

            return RunAsync(overrides);
        });
        return run;
    }

    private static async Task<int> RunAsync(Dictionary<string, string?> overrides)
    {
        IHost host;
        try
        {
            host = AgentHost.Build(overrides, runService: true);
        }
        catch (Exception e) when (e is InvalidBrokerUriException or AgentConfigurationException)
        {
            await Console.Error.WriteLineAsync($"kcrypt-push-agent: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        using (host)
        {
            try
            {
                // The options checked here rather than by the host's start, which would also log the
                // failure with its stack trace to the journal before our one line.
                host.Services.GetService<IStartupValidator>()?.Validate();

                // SIGTERM/SIGINT are handled by the host's lifetime (console or systemd).
                await host.RunAsync().ConfigureAwait(false);
                return ExitCodes.Success;
            }
            catch (OptionsValidationException e)
            {
                await Console.Error.WriteLineAsync($"kcrypt-push-agent: invalid configuration: {string.Join("; ", e.Failures)}").ConfigureAwait(false);
                return ExitCodes.Usage;
            }
            catch (EnrolmentFailedException e)
            {
                await Console.Error.WriteLineAsync($"kcrypt-push-agent: {e.Message}").ConfigureAwait(false);
                await StopQuietly(host).ConfigureAwait(false);
                return ExitCodes.Failed;
            }
            catch (OperationCanceledException)
            {
                // Stopped (SIGTERM) while still enrolling: an orderly stop.
                await StopQuietly(host).ConfigureAwait(false);
                return ExitCodes.Success;
            }
        }
    }

    private static async Task StopQuietly(IHost host)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await host.StopAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
