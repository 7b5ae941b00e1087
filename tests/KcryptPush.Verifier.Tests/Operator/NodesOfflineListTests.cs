using System.Text.Json;
using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Cli;

namespace KcryptPush.Verifier.Tests.Operator;

/// <summary><c>nodes list --db PATH</c>: the offline fallback reads verifier.db directly (no broker), once the verifier that holds it stopped.</summary>
[Trait("Category", "Unit")]
public sealed class NodesOfflineListTests
{
    [Fact]
    public async Task List_with_db_reads_the_file_and_shows_enrolled_keys_and_attestation_state()
    {
        await using OperatorHarness h = await OperatorHarness.StartAsync();
        string pending = h.Enrol("offline-a");
        string quarantined = h.Enrol("offline-b");
        await h.Command(new QuarantineNode(quarantined, "test", "alice"));

        byte[] akName = h.Nodes.Find(pending)!.AkName;
        byte[] ekPublic = h.Nodes.Find(pending)!.EkPublic;

        // While the verifier holds the file, --db fails at once, naming what works then.
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Assert.Equal(1, VerifierCli.Run(["nodes", "list", "--db", h.DbPath, "--json"], stdout, stderr));
        Assert.Equal("", stdout.ToString());
        Assert.Contains("in use by a running verifier", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("nodes list|show ... --broker URI", stderr.ToString(), StringComparison.Ordinal);
        Assert.Single(stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));

        // Stopped, the file is read directly.
        await h.Outbox.StopAsync(CancellationToken.None);
        h.Store.Dispose();
        stdout = new StringWriter();
        stderr = new StringWriter();
        int code = VerifierCli.Run(["nodes", "list", "--db", h.DbPath, "--json", "--broker", "amqp://guest:guest@127.0.0.1:1/"], stdout, stderr);

        Assert.True(code == 0, stderr.ToString());
        JsonElement[] rows = JsonDocument.Parse(stdout.ToString()).RootElement.EnumerateArray().ToArray();
        JsonElement a = Assert.Single(rows, r => r.GetProperty("tpmHash").GetString() == pending);
        Assert.Equal(("offline-a", NodeStates.Pending), (a.GetProperty("hostname").GetString(), a.GetProperty("state").GetString()));
        Assert.Equal(Convert.ToHexStringLower(akName), a.GetProperty("akName").GetString());
        Assert.Equal(ekPublic, Convert.FromBase64String(a.GetProperty("ekPublic").GetString()!));
        Assert.Equal(NodeStates.Quarantined, Assert.Single(rows, r => r.GetProperty("tpmHash").GetString() == quarantined).GetProperty("state").GetString());
    }

    [Fact]
    public void List_with_a_missing_db_is_exit_1_with_one_line()
    {
        var stderr = new StringWriter();
        Assert.Equal(1, VerifierCli.Run(["nodes", "list", "--db", "/nonexistent/verifier.db"], new StringWriter(), stderr));
        Assert.Single(stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
