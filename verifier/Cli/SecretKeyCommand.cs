using System.CommandLine;
using KcryptPush.Verifier.Hosting;
using KcryptPush.Verifier.Operator;
using Microsoft.Extensions.Configuration;

namespace KcryptPush.Verifier.Cli;

/// <summary>
/// <c>kcrypt-push-verifier secret-key [--db PATH]</c>: prints the fingerprint of the secret transport key
/// from the key file on the verifier's own host. This is the out-of-band answer an operator compares
/// with what <c>nodes set-secret</c> pinned: it reads the file, never the broker, so nobody on the
/// broker can forge it.
/// </summary>
internal static class SecretKeyCommand
{
    public static Command Create()
    {
        var db = new Option<string?>("--db")
        {
            Description = $"the verifier's database; the key is the .secret-key file beside it (env KCRYPTPUSH_DB; default {VerifierConfiguration.DefaultDb})",
        };
        var cmd = new Command("secret-key",
            "print the fingerprint of the verifier's secret transport key (run on the verifier's host, as its user); "
            + "compare it with what 'nodes set-secret' pinned, or pass it to 'nodes set-secret --verifier-fingerprint'")
        {
            db,
        };
        cmd.SetAction(parse =>
        {
            IConfigurationRoot config = new ConfigurationBuilder()
                .AddVerifierSources([KeyValuePair.Create(VerifierConfiguration.DbKey, parse.GetValue(db))])
                .Build();
            string path = SecretTransportKey.PathBeside(VerifierConfiguration.DbPath(config));
            try
            {
                using SecretTransportKey key = SecretTransportKey.Load(path);
                parse.InvocationConfiguration.Output.WriteLine(key.Fingerprint);
                return 0;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                parse.InvocationConfiguration.Error.WriteLine($"kcrypt-push-verifier: {e.Message}");
                return 1;
            }
        });
        return cmd;
    }
}
