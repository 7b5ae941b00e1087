using System.Diagnostics;
using System.Globalization;
using KcryptPush.Contracts.V1;
using KcryptPush.Integration.Tests.Enrolment;
using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Messaging;
using KcryptPush.Tests;

namespace KcryptPush.Integration.Tests.Attestation;

/// <summary>
/// Two verifier instances on one PostgreSQL store consume the same queues (issue 10, item 4): real
/// agents on swtpm attest through both; one instance is SIGKILLed mid-run (its unacknowledged messages
/// go back to the broker and reach the other) and started again. Nothing the nodes did changed, so
/// nothing may change for them: every node keeps passing, one NodeTrusted each and no other verdict
/// (none lost, none false), and no challenge counted twice in the history.
/// </summary>
[Trait("Category", "Integration")]
public sealed class TwoVerifierTakeoverTests(PrivatePostgres pg) : IClassFixture<PrivatePostgres>, IAsyncLifetime
{
    private const int NodeCount = 3;
    private const string Interval = "2s";
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);
    private readonly RabbitMqFixture _broker = new();
    private readonly List<ServiceProcess> _processes = [];
    private SwtpmPool _tpms = null!;
    private KcryptPushServices _services = null!;
    private IReadOnlyDictionary<string, string> _roles = null!;
    private ExchangeSpy? _verdicts;
    private ExchangeSpy? _toVerifier;
    private string _store = string.Empty;
    private string _database = string.Empty;

    public async Task InitializeAsync()
    {
        if (PrivatePostgres.Missing is not null)
        {
            return;
        }

        Task<SwtpmPool> tpms = Task.Run(() => SwtpmPool.Start(NodeCount));
        await _broker.InitializeAsync();
        _roles = await _broker.CreateRoleUsersAsync();
        _tpms = await tpms;
        _services = new KcryptPushServices(_broker) { RegistrarBrokerUri = _roles["registrar"] };
        _store = pg.CreateDatabase();
        _database = _store.Split(';').Single(p => p.StartsWith("Database=", StringComparison.Ordinal))["Database=".Length..];
    }

    public async Task DisposeAsync()
    {
        foreach (ServiceProcess p in _processes)
        {
            p.Dispose();
        }

        if (_verdicts is not null)
        {
            await _verdicts.DisposeAsync();
        }

        if (_toVerifier is not null)
        {
            await _toVerifier.DisposeAsync();
        }

        _services?.Dispose();
        _tpms?.Dispose();
        await _broker.DisposeAsync();
    }

    [PostgresFact]
    public async Task A_verifier_killed_mid_run_is_taken_over_by_the_other_without_a_false_lost_or_doubled_verdict()
    {
        _services.StartRegistrar(SwtpmPool.CaDirectory(_services.Directory, [.. _tpms.Instances]));
        ServiceProcess a = StartVerifier("verifier-a");
        ServiceProcess b = StartVerifier("verifier-b");
        await _broker.WaitForConsumersAsync(TimeSpan.FromSeconds(90), KcryptPushServices.RegistrarQueue, KcryptPushServices.VerifierQueue, KcryptPushQueues.VerifierAttestation);
        await WaitForAttestationConsumersAsync(2, b); // both instances take quotes from the one queue
        _verdicts = await ExchangeSpy.StartAsync(_broker.Uri, AttestationClassFixture.VerdictExchange);
        _toVerifier = await ExchangeSpy.StartAsync(_broker.Uri, KcryptPushQueues.VerifierAttestation);

        byte[] log = File.ReadAllBytes(AttestationClassFixture.SharedLog);
        var hashes = new List<string>();
        for (int i = 0; i < NodeCount; i++)
        {
            SwtpmInstance tpm = _tpms[i];
            string logPath = Path.Combine(_services.Directory, $"node{i}.log");
            File.WriteAllBytes(logPath, log);
            EventLogSeeder.Seed(tpm, log);
            hashes.Add(TpmKeys.HashOf(tpm));
            _processes.Add(AgentProcess.Start($"agent{i}", _roles["agent"], tpm, Interval, logPath, $"takeover-node-{i}"));
        }

        foreach (string hash in hashes)
        {
            await _verdicts.WaitForAsync(m => m.Is("NodeTrusted") && Hash(m) == hash, Patience, $"NodeTrusted for {hash}", () => Diagnostics(a, b));
        }

        // Steady for a few intervals on both instances, then A dies without a word.
        await Task.Delay(TimeSpan.FromSeconds(6));
        Console.WriteLine($"two verifiers: before the kill {QuoteCount()} quotes, {PassCount()} passes in the store");
        _processes.Remove(a);
        a.Dispose(); // SIGKILL
        DateTimeOffset killedAt = DateTimeOffset.UtcNow;
        int quotesAtKill = QuoteCount(), passesAtKill = PassCount();

        // B alone: every node keeps attesting and passing.
        await Task.Delay(TimeSpan.FromSeconds(12));
        Assert.False(b.HasExited, b.Output);
        int passesAlone = PassCount();
        Assert.True(passesAlone >= passesAtKill + NodeCount * 3, $"while A was dead: {passesAlone - passesAtKill} passes for {NodeCount} nodes\n{Diagnostics(a, b)}");

        // A again, on the same store: both serve, nothing is redone.
        ServiceProcess again = StartVerifier("verifier-a2");
        await WaitForAttestationConsumersAsync(2, again);
        await Task.Delay(TimeSpan.FromSeconds(10));

        string[] verdicts = [.. _verdicts.Messages.Select(m => m.MessageTypes.FirstOrDefault(t => t.Contains("Node", StringComparison.Ordinal)) ?? "?")];
        Console.WriteLine($"two verifiers: {QuoteCount() - quotesAtKill} quotes and {PassCount() - passesAtKill} passes since the kill at {killedAt:O}; verdict events: {string.Join(", ", verdicts)}");
        foreach (string hash in hashes)
        {
            Assert.Single(_verdicts.Messages, m => m.Is("NodeTrusted") && Hash(m) == hash);
        }

        Assert.DoesNotContain(_verdicts.Messages, m => m.Is("NodeQuarantined") || m.Is("NodeSilent"));
        Assert.Equal(NodeCount, _verdicts.Messages.Count);

        // The store's history: every entry a pass but each node's first (a retry asking for the log the
        // agent does not send unasked), no challenge counted twice.
        string[] rows = [.. History()];
        foreach (string hash in hashes)
        {
            string[] node = [.. rows.Where(r => r.StartsWith(hash, StringComparison.Ordinal))];
            Assert.All(node.Skip(1), r => Assert.EndsWith("|" + AttestationVerdicts.Pass, r, StringComparison.Ordinal));
            Assert.True(node[0].EndsWith("|" + AttestationVerdicts.Pass, StringComparison.Ordinal) || node[0].EndsWith("|" + AttestationVerdicts.Retry, StringComparison.Ordinal), node[0]);
        }

        string[] twice = [.. rows.GroupBy(r => r.Split('|')[1]).Where(g => g.Count() > 1).Select(g => g.Key)];
        Assert.True(twice.Length == 0, $"challenges counted twice: {string.Join(", ", twice)}");
        Assert.All(hashes, h => Assert.True(rows.Count(r => r.StartsWith(h, StringComparison.Ordinal)) >= 6, $"{h}: {rows.Count(r => r.StartsWith(h, StringComparison.Ordinal))} history entries"));
        Assert.All(_processes.Where(p => p.Name.StartsWith("agent", StringComparison.Ordinal)), p => Assert.False(p.HasExited, p.Output));
    }

    private ServiceProcess StartVerifier(string name)
    {
        // One store, one secret key (beside the shared --db path), no HTTP port to collide on.
        ServiceProcess p = ServiceProcess.Start(name, "dotnet",
            [KcryptPushBinaries.Verifier, "run", "--broker", _roles["verifier"], "--db", _services.VerifierDb, "--interval", Interval, "--http", "off"],
            new Dictionary<string, string?>
            {
                ["KCRYPTPUSH_Verifier__Store"] = _store,
                ["KCRYPTPUSH_Verifier__SilentIntervals"] = AttestationClassFixture.SilentIntervals.ToString(CultureInfo.InvariantCulture),
                ["KCRYPTPUSH_INTERVAL"] = null,
            });
        _processes.Add(p);
        return p;
    }

    private async Task WaitForAttestationConsumersAsync(int count, ServiceProcess starting)
    {
        var clock = Stopwatch.StartNew();
        while ((await _broker.QueuesAsync()).GetValueOrDefault(KcryptPushQueues.VerifierAttestation).Consumers < count)
        {
            Assert.False(starting.HasExited, starting.Output);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), $"{starting.Name} did not consume within 90 s:\n{starting.Output}");
            await Task.Delay(250);
        }
    }

    private int QuoteCount() => _toVerifier!.Messages.Count(m => m.Is("QuoteSubmitted"));

    private int PassCount() => History().Count(r => r.EndsWith("|" + AttestationVerdicts.Pass, StringComparison.Ordinal));

    // tpm_hash|challenge id|verdict, one line per history entry.
    private IEnumerable<string> History() =>
        pg.Psql("SELECT tpm_hash || '|' || (doc::json->>'ChallengeId') || '|' || (doc::json->>'Verdict') FROM history ORDER BY id", _database)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string Hash(SpiedMessage m) => m.Message.GetProperty("tpmHash").GetString()!;

    private string Diagnostics(params ServiceProcess[] verifiers) =>
        string.Join("\n", verifiers.Select(v => $"--- {v.Name} ---\n{v.Output}")) + $"\n--- registrar ---\n{_services.Registrar?.Output}";
}
