using System.CommandLine;
using KcryptPush.Agent.Enrolment;
using KcryptPush.Agent.Hosting;
using KcryptPush.Messaging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KcryptPush.Agent.Cli;

/// <summary>
/// <c>kcrypt-push-agent enroll</c>: one enrolment, with the same retries as <c>run</c> until
/// <c>--timeout</c>. Exit 0 enrolled (one line on stdout), 1 rejected, failed or timed out (one line
/// on stderr), 2 bad usage. Warnings (retries) are logged to stderr before that line.
/// </summary>
internal static class EnrollCommand
{
    public const string DefaultTimeout = "120s";

    public static Command Create()
    {
        var options = new ServiceOptions();
        var timeout = new Option<string>("--timeout")
        {
            Description = "give up after this long (e.g. 90s, 5m; default 120s)",
            DefaultValueFactory = _ => DefaultTimeout,
        };
        var enroll = new Command("enroll", "Enrol this node's TPM once and exit: 0 enrolled, 1 rejected/failed/timed out, 2 bad usage")
        {
            timeout,
        };
        options.AddTo(enroll);
        enroll.SetAction((parse, cancel) =>
        {
            (Dictionary<string, string?> overrides, string? error) = options.Read(parse);
            string timeoutText = parse.GetValue(timeout) ?? DefaultTimeout;
            if (error is null && !Duration.TryParse(timeoutText, out _))
            {
                error = $"invalid --timeout '{timeoutText}': expected a duration such as 90s or 5m";
            }

            if (error is not null)
            {
                Console.Error.WriteLine($"kcrypt-push-agent: {error}");
                return Task.FromResult(ExitCodes.Usage);
            }

            Duration.TryParse(timeoutText, out TimeSpan deadline);
            return EnrollAsync(overrides, deadline);
        });
        return enroll;
    }

    private static async Task<int> EnrollAsync(Dictionary<string, string?> overrides, TimeSpan deadline)
    {
        IHost host;
        try
        {
            host = AgentHost.Build(overrides, runService: false, logging: l => l
                .AddFilter((string?)null, LogLevel.Warning)
                .AddFilter("Microsoft", LogLevel.Warning)
                .AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning));
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
                host.Services.GetService<IStartupValidator>()?.Validate(); // one line, no host stack trace (RunCommand)
                await host.StartAsync().ConfigureAwait(false);
            }
            catch (OptionsValidationException e)
            {
                await Console.Error.WriteLineAsync($"kcrypt-push-agent: invalid configuration: {string.Join("; ", e.Failures)}").ConfigureAwait(false);
                return ExitCodes.Usage;
            }

            CancellationToken stopping = host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            EnrolmentResult result;
            try
            {
                result = await host.Services.GetRequiredService<Enroller>().EnrolAsync(stopping, deadline).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                result = new EnrolmentResult(EnrolmentStatus.Failed, "enrolment interrupted");
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

            if (result.Status == EnrolmentStatus.Enrolled)
            {
                await Console.Out.WriteLineAsync($"enrolled: tpm hash {result.TpmHash}, AK {Convert.ToHexStringLower(result.Enrolled!.AkName)}").ConfigureAwait(false);
                return ExitCodes.Success;
            }

            await Console.Error.WriteLineAsync($"kcrypt-push-agent: {result.Message}").ConfigureAwait(false);
            return ExitCodes.Failed;
        }
    }
}
