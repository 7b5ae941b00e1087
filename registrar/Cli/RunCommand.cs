using System.CommandLine;
using KcryptPush.Messaging;
using KcryptPush.Registrar.Hosting;
using KcryptPush.Registrar.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace KcryptPush.Registrar.Cli;

/// <summary><c>kcrypt-push-registrar run</c>: the long-running service.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var broker = new Option<string?>("--broker")
        {
            Description = "broker URI amqp://user:pass@host:port/vhost or amqps://... (env KCRYPTPUSH_BROKER; default amqp://guest:guest@127.0.0.1:5672/)",
        };
        Option<string?> db = CommonOptions.Db();
        var ekCaDir = new Option<string?>("--ek-ca-dir")
        {
            Description = "directory of trusted EK manufacturer CA certificates (env KCRYPTPUSH_EK_CA_DIR; default /etc/kcrypt-push/ek-ca)",
        };
        var requireEkCert = new Option<bool?>("--require-ek-cert")
        {
            Description = "true|false: require a trusted EK certificate; false lets Registrar:AllowedTpmHashes in without one (env KCRYPTPUSH_REQUIRE_EK_CERT; default true)",
        };

        var http = new Option<string?>("--http")
        {
            Description = $"HTTP listener HOST:PORT for /metrics, /healthz and /readyz, or off (env KCRYPTPUSH_HTTP; default {KcryptPush.Http.HttpOptions.RegistrarDefault}); a non-loopback address needs Http:BearerToken (env KCRYPTPUSH_HTTP_TOKEN)",
        };

        var run = new Command("run", "run the registrar service (consumes RegisterNode and CredentialProof from the broker)")
        {
            broker, db, ekCaDir, requireEkCert, http,
        };
        run.SetAction((parse, cancel) =>
        {
            var overrides = new Dictionary<string, string?>
            {
                ["Broker:Uri"] = parse.GetValue(broker),
                ["Registrar:Db"] = parse.GetValue(db),
                ["Registrar:EkCaDir"] = parse.GetValue(ekCaDir),
                ["Registrar:RequireEkCertificate"] = parse.GetValue(requireEkCert)?.ToString(),
                [KcryptPush.Http.HttpOptions.ListenKey] = parse.GetValue(http),
            };
            return RunAsync(overrides, cancel);
        });
        return run;
    }

    private static async Task<int> RunAsync(Dictionary<string, string?> overrides, CancellationToken cancel)
    {
        IHost host;
        try
        {
            // Bad input gets one line and exit code 2 before any logging starts.
            var config = RegistrarConfiguration.Build(overrides);
            BrokerAddress.Parse(config[$"{BrokerOptions.Section}:Uri"] ?? BrokerOptions.DefaultUri);
            host = RegistrarHost.Build(overrides);
        }
        catch (InvalidBrokerUriException e)
        {
            await Console.Error.WriteLineAsync($"kcrypt-push-registrar: {e.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (KcryptPush.Http.InvalidHttpConfigurationException e)
        {
            await Console.Error.WriteLineAsync($"kcrypt-push-registrar: invalid configuration: {e.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (OptionsValidationException e)
        {
            // Mapping the HTTP routes resolves the bus, whose options (Broker:CaFile, ...) are validated then.
            await Console.Error.WriteLineAsync($"kcrypt-push-registrar: invalid configuration: {string.Join("; ", e.Failures)}").ConfigureAwait(false);
            return 2;
        }

        using (host)
        {
            try
            {
                // Opened now, so a store that cannot be opened (a LiteDB file another registrar holds, an
                // unreachable database, a schema from a newer registrar) stops the start with its reason.
                IRegistrarStore store = host.Services.GetRequiredService<IRegistrarStore>();
                await host.RunAsync(cancel).ConfigureAwait(false);
                // Read from the store resolved before: RunAsync disposes the host's services when it returns.
                if (store is LiteDbRegistrarStore { Failure: { } failure } failed)
                {
                    await Console.Error.WriteLineAsync($"kcrypt-push-registrar: the store {failed.Path} failed a write ({failure.Message}): exiting for a restart").ConfigureAwait(false);
                    return 1;
                }

                return 0;
            }
            catch (OptionsValidationException e)
            {
                await Console.Error.WriteLineAsync($"kcrypt-push-registrar: invalid configuration: {string.Join("; ", e.Failures)}").ConfigureAwait(false);
                return 2;
            }
            catch (IOException e) when (e.Message.StartsWith("Failed to bind", StringComparison.Ordinal))
            {
                // Kestrel's: the HTTP port is taken or not ours to bind.
                await Console.Error.WriteLineAsync($"kcrypt-push-registrar: HTTP listener ({KcryptPush.Http.HttpOptions.ListenKey}, --http): {e.Message}").ConfigureAwait(false);
                return 2;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or LiteDB.LiteException
                or Npgsql.NpgsqlException or ArgumentException)
            {
                await Console.Error.WriteLineAsync($"kcrypt-push-registrar: cannot open the store: {e.Message}").ConfigureAwait(false);
                return 1;
            }
        }
    }
}
