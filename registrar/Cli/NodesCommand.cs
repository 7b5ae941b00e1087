using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using KcryptPush.Registrar.Hosting;
using KcryptPush.Registrar.Options;
using KcryptPush.Registrar.Store;
using Microsoft.Extensions.Configuration;

namespace KcryptPush.Registrar.Cli;

/// <summary>
/// <c>kcrypt-push-registrar nodes list|show</c>: reads the registrar's store directly and read-only.
/// A LiteDB file (<c>--db</c>, or <c>Registrar:Store=litedb:PATH</c>) is held by a running registrar, so
/// these work on it only while the service is stopped, and otherwise fail with exit 1 saying so; a
/// PostgreSQL store (<c>Registrar:Store</c>) is read at any time.
/// </summary>
internal static class NodesCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        Option<string?> listDb = CommonOptions.Db();
        Option<bool> listJson = CommonOptions.Json();
        var list = new Command("list", "list the nodes the registrar knows (enrolled, and pending: registered within the last day, never proven)") { listDb, listJson };
        list.SetAction(parse => List(parse.GetValue(listDb), parse.GetValue(listJson), stdout, stderr));

        Option<string?> showDb = CommonOptions.Db();
        Option<bool> showJson = CommonOptions.Json();
        var hash = new Argument<string>("tpm-hash") { Description = "the node's TPM hash (64 hex digits)" };
        var show = new Command("show", "show one node with its keys and audit trail") { hash, showDb, showJson };
        show.SetAction(parse => Show(parse.GetValue(hash)!, parse.GetValue(showDb), parse.GetValue(showJson), stdout, stderr));

        return new Command("nodes", "inspect the registrar's node records") { list, show };
    }

    private static int List(string? db, bool json, TextWriter stdout, TextWriter stderr)
    {
        IRegistrarStore? store = Open(db, stderr);
        if (store is null)
        {
            return 1;
        }

        using (store)
        {
            // Enrolled nodes from their records, nodes that registered but never enrolled from their challenges.
            List<NodeRecord> nodes = [.. store.ListNodes().Concat(store.ListPendingNodes()).OrderBy(n => n.TpmHash, StringComparer.Ordinal)];
            if (json)
            {
                stdout.WriteLine(JsonSerializer.Serialize(nodes.Select(NodeView.Of).ToList(), JsonOptions));
                return 0;
            }

            stdout.WriteLine($"{"TPM HASH",-64}  {"STATE",-8}  {"EK TRUST",-14}  {"ENROLLED AT",-20}  HOSTNAME");
            foreach (NodeRecord n in nodes)
            {
                string enrolled = n.EnrolledAt?.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) ?? "-";
                stdout.WriteLine($"{n.TpmHash,-64}  {NodeView.StateName(n.State),-8}  {n.EkTrust,-14}  {enrolled,-20}  {n.Hostname}");
            }

            return 0;
        }
    }

    private static int Show(string hash, string? db, bool json, TextWriter stdout, TextWriter stderr)
    {
        string tpmHash = hash.Trim().ToLowerInvariant();
        if (tpmHash.Length != 64 || !tpmHash.All(Uri.IsHexDigit))
        {
            stderr.WriteLine($"kcrypt-push-registrar: '{hash}' is not a TPM hash (64 hex digits)");
            return 2;
        }

        IRegistrarStore? store = Open(db, stderr);
        if (store is null)
        {
            return 1;
        }

        using (store)
        {
            NodeRecord? node = store.FindNode(tpmHash) ?? store.FindPendingNode(tpmHash);
            if (node is null)
            {
                stderr.WriteLine($"kcrypt-push-registrar: no node with TPM hash {tpmHash}");
                return 1;
            }

            IReadOnlyList<AuditEntry> audit = store.AuditOf(tpmHash);
            if (json)
            {
                stdout.WriteLine(JsonSerializer.Serialize(NodeDetailView.Of(node, audit), JsonOptions));
                return 0;
            }

            var v = NodeDetailView.Of(node, audit);
            stdout.WriteLine($"TPM hash:     {v.TpmHash}");
            stdout.WriteLine($"Hostname:     {v.Hostname}");
            stdout.WriteLine($"State:        {v.State}");
            stdout.WriteLine($"EK trust:     {v.EkTrust}");
            stdout.WriteLine($"EK cert:      {(node.EkCertificate is null ? "none" : $"{node.EkCertificate.Length} bytes")}");
            stdout.WriteLine($"AK Name:      {v.AkName}");
            stdout.WriteLine($"Created:      {v.CreatedAt:O}");
            stdout.WriteLine($"Updated:      {v.UpdatedAt:O}");
            stdout.WriteLine($"Enrolled:     {(v.EnrolledAt is { } e ? e.ToString("O", CultureInfo.InvariantCulture) : "-")}");
            stdout.WriteLine("Audit:");
            foreach (AuditView a in v.Audit)
            {
                string reason = a.ReasonCode is null ? string.Empty : $" [{a.ReasonCode}]";
                stdout.WriteLine($"  {a.At:yyyy-MM-ddTHH:mm:ssZ}  {a.Event}{reason}  {a.Detail}");
            }

            return 0;
        }
    }

    private static IRegistrarStore? Open(string? db, TextWriter stderr)
    {
        // --db names the LiteDB file; without it, the store the configuration names.
        string setting = db is { Length: > 0 }
            ? RegistrarStores.LiteDbPrefix + db
            : RegistrarConfiguration.Store(RegistrarConfiguration.Build([]));
        try
        {
            return RegistrarStores.Open(setting, readOnly: true);
        }
        catch (RegistrarStoreInUseException e)
        {
            stderr.WriteLine($"kcrypt-push-registrar: {e.Message}");
            return null;
        }
        catch (Exception e) when (e is FileNotFoundException or IOException or UnauthorizedAccessException or LiteDB.LiteException
            or InvalidDataException or ArgumentException or Npgsql.NpgsqlException)
        {
            string what = RegistrarStores.LiteDbPath(setting) ?? "the PostgreSQL store";
            stderr.WriteLine($"kcrypt-push-registrar: cannot open {what}: {e.Message}");
            return null;
        }
    }
}
