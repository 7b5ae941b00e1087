using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Operator;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Verifier.Tests.Operator;

/// <summary>
/// <c>kcrypt-push-verifier run</c> as a process on a private RabbitMQ, and the <c>nodes</c> commands as
/// the real executable against it: the node comes from a NodeEnrolled published on the broker, and
/// NodeQuarantined is received on a queue bound like an alert consumer's.
/// </summary>
[Trait("Category", "Integration")]
public sealed class OperatorBusTests : IClassFixture<RabbitMqFixture>, IAsyncLifetime
{
    private const string Passphrase = "correct horse battery staple ü";
    private readonly RabbitMqFixture _broker;
    private readonly string _dir = Directory.CreateTempSubdirectory("kcrypt-operator-bus-").FullName;
    private AlertBus? _alerts;
    private VerifierProcess? _verifier;

    public OperatorBusTests(RabbitMqFixture broker)
    {
        _broker = broker;
    }

    private string Db => Path.Combine(_dir, "verifier.db");

    // This test's own pins: the broker fixture's port is reused by other classes whose verifiers have other keys.
    private string Pins => Path.Combine(_dir, "known_verifiers");

    public async Task InitializeAsync()
    {
        _verifier = VerifierProcess.Run("--broker", _broker.Uri, "--db", Db, "--interval", "60s");
        _alerts = await AlertBus.StartAsync(_broker.Uri, "kcp-test-alerts");
    }

    public async Task DisposeAsync()
    {
        _verifier?.Dispose();
        if (_alerts is not null)
        {
            await _alerts.DisposeAsync();
        }

        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Nodes_commands_work_against_the_running_verifier_over_the_broker()
    {
        string hash = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var enrolled = new NodeEnrolled(hash, RandomNumberGenerator.GetBytes(64), RandomNumberGenerator.GetBytes(80),
            [0x00, 0x0b, .. RandomNumberGenerator.GetBytes(32)], "node-ops", DateTimeOffset.UtcNow);
        JsonElement row = await WaitForNode(enrolled);

        // list --json: DESIGN.md's tpmHash, hostname, state.
        Assert.Equal(("node-ops", NodeStates.Pending), (row.GetProperty("hostname").GetString(), row.GetProperty("state").GetString()));

        // set-pcr enforce, and bad input refused locally (exit 2, one line).
        string value = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        JsonElement set = Ok(await Nodes(null, "set-pcr", hash, "sha256:7", value.ToUpperInvariant(), "--operator", "alice", "--json"));
        Assert.Equal((true, "ok"), (set.GetProperty("succeeded").GetBoolean(), set.GetProperty("code").GetString()));
        Ok(await Nodes(null, "set-pcr", hash, "sha1:0", "--learn", "--operator", "alice"));
        (int badCode, _, string badErr) = await Nodes(null, "set-pcr", hash, "sha256:7", value[..40]);
        Assert.Equal(2, badCode);
        Assert.Single(badErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        // set-secret: passphrase from stdin, encrypted to the verifier's key; the store holds it, show only the label.
        Ok(await Nodes(Passphrase + "\nsecond line is ignored\n", "set-secret", hash, "COS_PERSISTENT", "--operator", "alice", "--known-verifiers", Pins));
        (int emptyCode, _, string emptyErr) = await Nodes("\n", "set-secret", hash, "COS_OEM", "--known-verifiers", Pins);
        Assert.Equal(2, emptyCode);
        Assert.Contains("empty", emptyErr, StringComparison.Ordinal);

        (int showCode, string showOut, _) = await Nodes(null, "show", hash, "--json");
        Assert.Equal(0, showCode);
        Assert.DoesNotContain("horse", showOut, StringComparison.Ordinal);
        JsonElement show = JsonDocument.Parse(showOut).RootElement;
        Assert.Equal(hash, show.GetProperty("tpmHash").GetString());
        Assert.Equal(["COS_PERSISTENT"], show.GetProperty("secretLabels").EnumerateArray().Select(e => e.GetString()));
        JsonElement pcr7 = Assert.Single(show.GetProperty("pcrPolicy").EnumerateArray(), p => p.GetProperty("bank").GetString() == "sha256");
        Assert.Equal((7, "enforce", value), (pcr7.GetProperty("index").GetInt32(), pcr7.GetProperty("mode").GetString(), pcr7.GetProperty("value").GetString()));
        Assert.Contains(show.GetProperty("audit").EnumerateArray(), a => a.GetProperty("actor").GetString() == "broker:guest (--operator alice)" && a.GetProperty("what").GetString() == "secret COS_PERSISTENT");
        // The running verifier holds verifier.db: the offline command says so and names the way that works.
        (int offlineCode, string offlineOut, string offlineErr) = await VerifierProcess.Command(null, "nodes", "list", "--db", Db);
        Assert.Equal((1, ""), (offlineCode, offlineOut));
        Assert.Contains("in use by a running verifier", offlineErr, StringComparison.Ordinal);
        Assert.Contains("--broker", offlineErr, StringComparison.Ordinal);

        // Sealed at rest: the file holds no passphrase; the key derived from verifier.secret-key opens it.
        // Read with the verifier stopped, then started again on the same file.
        _verifier!.Dispose();
        using (var transport = SecretTransportKey.LoadOrCreate(SecretTransportKey.PathBeside(Db)))
        using (var secretKey = SecretAtRestKey.DeriveFrom(transport.Key))
        using (var store = new LiteDbVerifierStore(Db, new VerifierStoreOptions { ReadOnly = true, SecretKey = secretKey }))
        {
            SecretRecord record = store.FindSecret(hash, "COS_PERSISTENT")!;
            Assert.True(record.IsSealed);
            Assert.Empty(record.Value);
            Assert.Equal(Passphrase, Encoding.UTF8.GetString(store.OpenSecret(hash, "COS_PERSISTENT")!));
        }

        byte[] passphraseBytes = Encoding.UTF8.GetBytes(Passphrase);
        foreach (string file in Directory.GetFiles(_dir, "verifier*.db"))
        {
            using var copy = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var bytes = new MemoryStream();
            copy.CopyTo(bytes);
            Assert.True(bytes.ToArray().AsSpan().IndexOf(passphraseBytes) < 0, $"{file} holds the passphrase in plaintext");
        }

        _verifier = VerifierProcess.Run("--broker", _broker.Uri, "--db", Db, "--interval", "60s");

        // The text table names the node too.
        (int tableCode, string table, _) = await Nodes(null, "list");
        Assert.Equal(0, tableCode);
        Assert.Contains(hash, table, StringComparison.Ordinal);

        // quarantine: state changes, NodeQuarantined (operator-quarantine) reaches an alert queue once.
        Ok(await Nodes(null, "quarantine", hash, "--reason", "disk reported stolen", "--operator", "bob"));
        NodeQuarantined q = await _alerts!.WaitForAsync<NodeQuarantined>(e => e.TpmHash == hash);
        Assert.Equal([AttestationReasonCodes.OperatorQuarantine], q.ReasonCodes);
        Assert.Equal((NodeStates.Pending, "node-ops"), (q.PreviousState, q.Hostname));
        Assert.Contains("disk reported stolen", q.Reasons[0].Message, StringComparison.Ordinal);
        Assert.Equal(NodeStates.Quarantined, (await ListRow(hash))?.GetProperty("state").GetString());
        Ok(await Nodes(null, "quarantine", hash, "--reason", "again"));

        // release: Pending; set-ak learn. The second quarantine published nothing.
        Ok(await Nodes(null, "release", hash, "--operator", "bob"));
        Assert.Equal(NodeStates.Pending, (await ListRow(hash))?.GetProperty("state").GetString());
        NodeReleased released = await _alerts.WaitForAsync<NodeReleased>(e => e.TpmHash == hash);
        Assert.Equal(("broker:guest (--operator bob)", "broker:guest (--operator bob): disk reported stolen", NodeStates.Quarantined), (released.Operator, released.HeldFor, released.PreviousState));
        Ok(await Nodes(null, "set-ak", hash, "--learn"));
        Assert.Single(_alerts.Of<NodeQuarantined>(), e => e.TpmHash == hash);

        // delete: gone; show is then exit 1 with one line naming node-unknown.
        JsonElement deleted = Ok(await Nodes(null, "delete", hash, "--json"));
        Assert.True(deleted.GetProperty("succeeded").GetBoolean());
        Assert.Null(await ListRow(hash));
        (int goneCode, _, string goneErr) = await Nodes(null, "show", hash);
        Assert.Equal(1, goneCode);
        Assert.Contains("node-unknown", Assert.Single(goneErr.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
        Assert.False(_verifier!.HasExited, _verifier.Output);
    }

    private Task<(int Code, string Stdout, string Stderr)> Nodes(string? stdin, params string[] args) =>
        VerifierProcess.Command(stdin, ["nodes", .. args, "--broker", _broker.Uri]);

    private static JsonElement Ok((int Code, string Stdout, string Stderr) r)
    {
        Assert.True(r.Code == 0, $"exit {r.Code}: {r.Stderr}");
        return r.Stdout.TrimStart().StartsWith('{') ? JsonDocument.Parse(r.Stdout).RootElement : default;
    }

    private async Task<JsonElement?> ListRow(string hash)
    {
        (int code, string stdout, string stderr) = await Nodes(null, "list", "--json");
        Assert.True(code == 0, stderr);
        return JsonDocument.Parse(stdout).RootElement.EnumerateArray().Where(n => n.GetProperty("tpmHash").GetString() == hash).Select(n => (JsonElement?)n).FirstOrDefault();
    }

    // The verifier declares and binds its queues when it starts; until then a request or a published
    // NodeEnrolled finds no queue, so publish (idempotent for the verifier) until the node is listed.
    private async Task<JsonElement> WaitForNode(NodeEnrolled enrolled)
    {
        string hash = enrolled.TpmHash;
        DateTime until = DateTime.UtcNow.AddSeconds(60);
        string last = "";
        while (DateTime.UtcNow < until)
        {
            await _alerts!.Bus.Publish(enrolled);
            (int code, string stdout, string stderr) = await Nodes(null, "list", "--json", "--timeout", "3s");
            if (code == 0 && JsonDocument.Parse(stdout).RootElement.EnumerateArray().FirstOrDefault(n => n.GetProperty("tpmHash").GetString() == hash) is { ValueKind: JsonValueKind.Object } row)
            {
                return row;
            }

            last = stderr + stdout;
            await Task.Delay(500);
        }

        throw new TimeoutException($"the verifier never listed {hash}: {last}\n{_verifier!.Output}");
    }
}
