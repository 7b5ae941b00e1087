using System.CommandLine;
using KcryptPush.Messaging;
using KcryptPush.Verifier.Enrolment;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KcryptPush.Verifier.Hosting;

/// <summary><c>kcrypt-push-verifier run</c>: the service.</summary>
public static class VerifierServiceCommands
{

    private static Option<string?> Db() => new("--db")
    {
        Description = "LiteDB file (env KCRYPTPUSH_DB; default /var/lib/kcrypt-push/verifier.db)",
    };

    /// <summary>The <c>run</c> command.</summary>
    public static Command Run()
    {
        var broker = new Option<string?>("--broker")
        {
            Description = "broker URI amqp://user:pass@host:port/vhost or amqps://... (env KCRYPTPUSH_BROKER; default amqp://guest:guest@127.0.0.1:5672/)",
        };
        Option<string?> db = Db();
        var interval = new Option<string?>("--interval")
        {
            Description = "attestation interval, e.g. 60s (env KCRYPTPUSH_INTERVAL; default 60s); challenges expire after 2 intervals, silence after 5",
        };
        var http = new Option<string?>("--http")
        {
            Description = $"HTTP listener HOST:PORT for /metrics, /healthz, /readyz and the status page, or off (env KCRYPTPUSH_HTTP; default {KcryptPush.Http.HttpOptions.VerifierDefault}); a non-loopback address needs Http:BearerToken (env KCRYPTPUSH_HTTP_TOKEN)",
        };
        var run = new Command("run", "run the verifier service: enrolment feed, challenges, quote verification, verdicts")
        {
            broker, db, interval, http,
        };
        run.SetAction((parse, _) => RunAsync(new Dictionary<string, string?>
        {
            ["Broker:Uri"] = parse.GetValue(broker),
            [VerifierConfiguration.DbKey] = parse.GetValue(db),
            ["Verifier:Interval"] = parse.GetValue(interval),
            [KcryptPush.Http.HttpOptions.ListenKey] = parse.GetValue(http),
        }));
        return run;
    }

    /// <summary>The <c>ready</c> command: asks the running service's /readyz (exit 0 ready, 1 not).</summary>
    public static Command Ready() => KcryptPush.Http.ReadyCommand.Create(
        "kcrypt-push-verifier",
        KcryptPush.Http.HttpOptions.VerifierDefault,
        overrides => new ConfigurationBuilder().AddVerifierSources(overrides).Build());

    private static async Task<int> RunAsync(Dictionary<string, string?> overrides)
    {
        IHost host;
        try
        {
            host = VerifierHost.Build(overrides);
        }
        catch (InvalidBrokerUriException e)
        {
            await Console.Error.WriteLineAsync($"kcrypt-push-verifier: {e.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (FormatException e)
        {
            await Console.Error.WriteLineAsync($"kcrypt-push-verifier: invalid configuration: {e.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (KcryptPush.Http.InvalidHttpConfigurationException e)
        {
            await Console.Error.WriteLineAsync($"kcrypt-push-verifier: invalid configuration: {e.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (DefaultBootPolicyException e)
        {
            await Console.Error.WriteLineAsync($"kcrypt-push-verifier: invalid configuration: {e.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (OptionsValidationException e)
        {
            // Mapping the HTTP routes resolves the bus, whose options (Broker:CaFile, ...) are validated then.
            await Console.Error.WriteLineAsync($"kcrypt-push-verifier: invalid configuration: {string.Join("; ", e.Failures)}").ConfigureAwait(false);
            return 2;
        }
        catch (Exception e) when (e is KcryptPush.Verifier.Store.VerifierStoreOpenException || KcryptPush.Verifier.Store.VerifierStoreOpenException.IsOpenFailure(e))
        {
            // Mapping the HTTP routes resolves the store (even with --http off): a file system that is
            // read-only or full stops the start here, with the system's reason on one line.
            return await CannotStart(e).ConfigureAwait(false);
        }

        using (host)
        {
            try
            {
                // Opened now, so a store that cannot be opened (held by another process, unreachable,
                // a schema from a newer verifier) stops the start with its reason.
                var store = host.Services.GetRequiredService<KcryptPush.Verifier.Store.IVerifierStore>();
                if (host.Services.GetService<KcryptPush.Verifier.Policies.DefaultBootPolicy>() is { } bootPolicy)
                {
                    host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("KcryptPush.Verifier.Hosting").LogInformation(
                        "Fleet default boot policy {Path} (SHA-256 {Sha256}) applies to every node without a policy of its own",
                        bootPolicy.Source, bootPolicy.Sha256);
                }

                await host.RunAsync().ConfigureAwait(false);
                // Read from the store resolved before: RunAsync disposes the host's services when it returns.
                if (store is KcryptPush.Verifier.Store.LiteDbVerifierStore { CannotRecover: true } failed)
                {
                    await Console.Error.WriteLineAsync($"kcrypt-push-verifier: the database {failed.Path} failed and could not be reopened in this process: exiting for a restart").ConfigureAwait(false);
                    return 1;
                }

                return 0;
            }
            catch (OptionsValidationException e)
            {
                await Console.Error.WriteLineAsync($"kcrypt-push-verifier: invalid configuration: {string.Join("; ", e.Failures)}").ConfigureAwait(false);
                return 2;
            }
            catch (IOException e) when (e.Message.StartsWith("Failed to bind", StringComparison.Ordinal))
            {
                // Kestrel's: the HTTP port is taken or not ours to bind.
                await Console.Error.WriteLineAsync($"kcrypt-push-verifier: HTTP listener ({KcryptPush.Http.HttpOptions.ListenKey}, --http): {e.Message}").ConfigureAwait(false);
                return 2;
            }
            catch (Exception e) when (e is KcryptPush.Verifier.Store.VerifierStoreOpenException || KcryptPush.Verifier.Store.VerifierStoreOpenException.IsOpenFailure(e))
            {
                return await CannotStart(e).ConfigureAwait(false);
            }
        }
    }

    // One line, exit 1: the store's failure named as the database's; any other I/O failure of the
    // start (the secret key file beside the database, say) as itself, its message naming the path.
    private static async Task<int> CannotStart(Exception e)
    {
        string what = e is KcryptPush.Verifier.Store.VerifierStoreOpenException ? "cannot open the database" : "cannot start";
        await Console.Error.WriteLineAsync($"kcrypt-push-verifier: {what}: {e.Message}").ConfigureAwait(false);
        return 1;
    }
}
