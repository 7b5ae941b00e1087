using System.CommandLine;
using KcryptPush.Agent.Attestation;
using KcryptPush.Agent.Discovery;
using KcryptPush.Agent.Enrolment;
using KcryptPush.Agent.Hosting;
using KcryptPush.Messaging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KcryptPush.Agent.Cli;

/// <summary>
/// <c>kcrypt-push-agent discovery.password</c>: a Kairos kcrypt discovery plugin (go-pluggable
/// event <c>discovery.password</c>). Reads the event on stdin, attests now asking for the
/// partition label's secret, and prints exactly one JSON object on stdout:
/// <c>{"data": "&lt;passphrase&gt;"}</c>, or <c>{"error": "&lt;reason&gt;"}</c> when quarantined
/// (with the reason codes), unknown, not configured or timed out. Logs go to stderr.
/// </summary>
/// <remarks>
/// Exit code 0 whenever a JSON answer was printed, error or not: go-pluggable runs the plugin with
/// <c>exec.Cmd.Output()</c> and, on a non-zero exit, discards stdout and reports only "exit status
/// 1", so kcrypt would lose the reason. kcrypt treats a response whose <c>error</c> is set as a
/// failure. Exit 2 only for bad command-line options (no JSON then).
/// </remarks>
internal static class DiscoveryPasswordCommand
{
    public const string DefaultTimeout = "60s";

    public static Command Create()
    {
        var options = new ServiceOptions();
        var push = new PushOptions();
        var timeout = new Option<string>("--timeout")
        {
            Description = "give up after this long (default 60s)",
            DefaultValueFactory = _ => DefaultTimeout,
        };
        var command = new Command("discovery.password",
            "kcrypt discovery plugin: read {\"data\": \"{\\\"label\\\": ...}\"} on stdin, attest now, print {\"data\": \"<passphrase>\"} "
            + "or {\"error\": \"<reason>\"} (exit 0 with either, as go-pluggable expects; 2 on bad options)")
        {
            timeout,
        };
        options.AddTo(command);
        push.AddTo(command, withInterval: false);
        command.SetAction((parse, cancel) =>
        {
            (Dictionary<string, string?> overrides, string? error) = options.Read(parse);
            error ??= push.Read(parse, overrides);
            string timeoutText = parse.GetValue(timeout) ?? DefaultTimeout;
            if (error is null && !Duration.TryParse(timeoutText, out _))
            {
                error = $"invalid --timeout '{timeoutText}': expected a duration such as 60s";
            }

            if (error is not null)
            {
                Console.Error.WriteLine($"kcrypt-push-agent: {error}");
                return Task.FromResult(ExitCodes.Usage);
            }

            Duration.TryParse(timeoutText, out TimeSpan deadline);
            return RunAsync(overrides, deadline, Console.In, Console.Out, cancel);
        });
        return command;
    }

    private static async Task<int> RunAsync(Dictionary<string, string?> overrides, TimeSpan deadline, TextReader stdin, TextWriter stdout, CancellationToken cancel)
    {
        PartitionEvent partition;
        try
        {
            partition = PartitionEvent.Parse(await stdin.ReadToEndAsync(cancel).ConfigureAwait(false));
        }
        catch (DiscoveryInputException e)
        {
            return await Answer(stdout, DiscoveryOutcome.Failed($"bad input: {e.Message}")).ConfigureAwait(false);
        }

        IHost host;
        try
        {
            host = AgentHost.Build(overrides, runService: false, logging: l => l
                .AddFilter((string?)null, LogLevel.Warning)
                .AddFilter("KcryptPush", LogLevel.Information)
                .AddFilter("Microsoft", LogLevel.Warning));
        }
        catch (Exception e) when (e is InvalidBrokerUriException or AgentConfigurationException)
        {
            return await Answer(stdout, DiscoveryOutcome.Failed($"bad configuration: {e.Message}")).ConfigureAwait(false);
        }

        using (host)
        {
            try
            {
                await host.StartAsync(cancel).ConfigureAwait(false);
            }
            catch (OptionsValidationException e)
            {
                return await Answer(stdout, DiscoveryOutcome.Failed($"bad configuration: {string.Join("; ", e.Failures)}")).ConfigureAwait(false);
            }

            IServiceProvider sp = host.Services;
            var client = new DiscoveryClient(
                sp.GetRequiredService<IAgentTpm>(), sp.GetRequiredService<IEvidenceTpm>(), sp.GetRequiredService<IVerifierClient>(),
                sp.GetRequiredService<Attestor>(), sp.GetRequiredService<PushSettings>(), sp.GetRequiredService<AgentSettings>().EffectiveHostname,
                sp.GetRequiredService<ILogger<DiscoveryClient>>());
            DiscoveryOutcome outcome;
            try
            {
                outcome = await client.GetPassphraseAsync(partition.Label, deadline, cancel).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                outcome = DiscoveryOutcome.Failed("interrupted");
            }

            using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            {
                try
                {
                    await host.StopAsync(cts.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }

            return await Answer(stdout, outcome).ConfigureAwait(false);
        }
    }

    private static async Task<int> Answer(TextWriter stdout, DiscoveryOutcome outcome)
    {
        if (outcome.Error is not null)
        {
            await Console.Error.WriteLineAsync($"kcrypt-push-agent: {outcome.Error}").ConfigureAwait(false);
        }

        await stdout.WriteAsync(outcome.Passphrase is not null ? PluginResponse.Data(outcome.Passphrase) : PluginResponse.Error(outcome.Error!)).ConfigureAwait(false);
        await stdout.FlushAsync().ConfigureAwait(false);
        return ExitCodes.Success;
    }
}
