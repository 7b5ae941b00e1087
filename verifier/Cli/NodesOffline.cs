using System.Globalization;
using System.Text.Json;
using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Enrolment;
using KcryptPush.Verifier.Hosting;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Verifier.Cli;

/// <summary>
/// <c>nodes list --db PATH</c>: reads verifier.db directly (read-only), for when the broker is away
/// and the service is stopped: a running verifier holds the file (LiteDB direct mode), and the command
/// then fails naming the commands over the broker. Rows carry the enrolled keys besides the state.
/// </summary>
internal static class NodesOffline
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static int List(string path, bool json, TextWriter stdout, TextWriter stderr)
    {
        if (!File.Exists(path))
        {
            stderr.WriteLine($"kcrypt-push-verifier: cannot open {path}: no such file");
            return 1;
        }

        List<VerifierNodeView> rows;
        try
        {
            using var store = new LiteDbVerifierStore(path, new VerifierStoreOptions { ReadOnly = true });
            Dictionary<string, string> states = store.AllAttestations().ToDictionary(r => r.TpmHash, r => r.State, StringComparer.Ordinal);
            rows = store.ListNodes().Select(n => VerifierNodeView.Of(n) with { State = states.GetValueOrDefault(n.TpmHash) ?? NodeStates.Pending }).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or LiteDB.LiteException)
        {
            stderr.WriteLine($"kcrypt-push-verifier: cannot open {path}: {e.Message.ReplaceLineEndings(" ")}");
            return 1;
        }

        if (json)
        {
            stdout.WriteLine(JsonSerializer.Serialize(rows, JsonOptions));
            return 0;
        }

        stdout.WriteLine($"{"TPM HASH",-64}  {"STATE",-11}  {"ENROLLED AT",-20}  HOSTNAME");
        foreach (VerifierNodeView n in rows)
        {
            string enrolled = n.EnrolledAt.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
            stdout.WriteLine($"{n.TpmHash,-64}  {n.State,-11}  {enrolled,-20}  {n.Hostname}");
        }

        return 0;
    }
}
