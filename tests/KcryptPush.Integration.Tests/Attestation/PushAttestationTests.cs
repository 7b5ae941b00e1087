using System.Text.Json;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Contracts.V1;
using KcryptPush.Integration.Tests.Fixtures;

namespace KcryptPush.Integration.Tests.Attestation;

/// <summary>
/// Push attestation end to end (issue 4, "What must show"): real RabbitMQ, real swtpms seeded from
/// a real shared event log, registrar and verifier processes, agents as processes with a 2 s
/// interval; verdicts observed the way an alert consumer sees them, on a queue bound to the verdict
/// exchange.
/// </summary>
[Trait("Category", "Integration")]
public sealed class PushAttestationTests(AttestationClassFixture f) : IClassFixture<AttestationClassFixture>
{
    private const string Label = "COS_PERSISTENT";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private static byte[] SharedLog => File.ReadAllBytes(AttestationClassFixture.SharedLog);

    [Fact]
    public async Task Three_nodes_enrol_attest_and_become_trusted_and_the_configured_secret_is_released_through_discovery()
    {
        using var nodes = new Nodes([new AgentNode(f, 0, SharedLog), new AgentNode(f, 1, SharedLog), new AgentNode(f, 2, SharedLog)]);
        string passphrase = "correct horse \"battery\" staple " + Guid.NewGuid().ToString("N");

        // Provisioned by TPM hash before the node ever contacted the registrar (DESIGN.md's
        // operator-provisioned passphrase, attestation data learned on first contact).
        f.SetSecret(nodes[0].TpmHash, Label, passphrase);
        foreach (AgentNode n in nodes)
        {
            n.Start();
        }

        foreach (AgentNode n in nodes)
        {
            SpiedMessage trusted = await f.Verdicts.WaitForAsync(m => m.Is("NodeTrusted") && Hash(m) == n.TpmHash, Patience, $"NodeTrusted for node {n.Index}", () => n.Output + f.Diagnostics());
            Assert.Equal("Trusted", trusted.Message.GetProperty("state").GetString());
            Assert.Equal(n.Hostname, trusted.Message.GetProperty("hostname").GetString());
        }

        // The discovery plugin of the node with a configured secret prints exactly {"data": "<passphrase>"}.
        ProcessResult released = await nodes[0].DiscoverAsync(Label);
        Assert.True(released.ExitCode == 0, released.StdErr);
        Assert.Equal("{\"data\": " + JsonSerializer.Serialize(passphrase, new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "}", released.StdOut);
        using (JsonDocument doc = JsonDocument.Parse(released.StdOut))
        {
            Assert.Equal(passphrase, doc.RootElement.GetProperty("data").GetString());
        }

        // A node without that secret gets an error naming the cause; no passphrase on stdout.
        ProcessResult missing = await nodes[1].DiscoverAsync(Label);
        using (JsonDocument doc = JsonDocument.Parse(missing.StdOut))
        {
            Assert.False(doc.RootElement.TryGetProperty("data", out _));
            Assert.Contains("not configured", doc.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        // The secret never crossed the bus in the clear.
        Assert.DoesNotContain(f.ToVerifier.Messages, m => System.Text.Encoding.UTF8.GetString(m.Body).Contains(passphrase, StringComparison.Ordinal));
        Assert.All(nodes, n => Assert.False(n.Agent!.HasExited, n.Output));
    }

    [Fact]
    public async Task Steady_state_is_one_challenge_request_then_quotes_without_the_log_each_under_4_KB()
    {
        using var nodes = new Nodes([new AgentNode(f, 5, SharedLog)]);
        AgentNode n = nodes[0];
        n.Start();
        await f.Verdicts.WaitForAsync(m => m.Is("NodeTrusted") && Hash(m) == n.TpmHash, Patience, "NodeTrusted", () => n.Output + f.Diagnostics());

        // Let several intervals pass.
        await WaitForQuotesAsync(n, 6);
        List<SpiedMessage> quotes = Quotes(n);
        SpiedMessage[] withLog = [.. quotes.Where(HasLog)];
        SpiedMessage[] withoutLog = [.. quotes.Where(q => !HasLog(q))];

        // The first quote named the digest only; the verifier wanted the log once; never again.
        Assert.Single(withLog);
        Assert.False(HasLog(quotes[0]));
        Assert.Same(withLog[0], quotes[1]);
        Assert.Equal(SharedLog.Length, Convert.FromBase64String(withLog[0].Message.GetProperty("eventLog").GetString()!).Length);
        Assert.All(withoutLog, q => Assert.True(q.Body.Length < 4096, $"QuoteSubmitted without the log is {q.Body.Length} bytes: {System.Text.Encoding.UTF8.GetString(q.Body)}"));

        // RequestChallenge only at start; every later challenge rode on a result. Enrolment reaches
        // the verifier asynchronously (the registrar publishes NodeEnrolled), so the very first request
        // may come before the verifier knows the node: it is refused as node-unknown and asked again
        // (CI saw this once at load). Such a retry is the only other RequestChallenge allowed, and only
        // before the first quote.
        SpiedMessage[] requests = [.. f.ToVerifier.Messages.Where(m => m.Is("RequestChallenge") && Hash(m) == n.TpmHash)];
        Assert.NotEmpty(requests);
        Assert.All(requests, r => Assert.True(r.At <= quotes[0].At, $"a RequestChallenge at {r.At:O}, after the first quote at {quotes[0].At:O}: steady state must ride on results\n{n.Output}"));
        int refusedUnknown = n.Output.Split('\n').Count(l => l.Contains($"refused a challenge: {AttestationReasonCodes.NodeUnknown}:", StringComparison.Ordinal));
        Assert.True(requests.Length == 1 + refusedUnknown, $"{requests.Length} RequestChallenge, {refusedUnknown} refused as {AttestationReasonCodes.NodeUnknown}\n{n.Output}");
        Console.WriteLine($"QuoteSubmitted sizes (serialized MassTransit envelope): without log {withoutLog.Max(q => q.Body.Length)} bytes, with log {withLog[0].Body.Length} bytes (log {SharedLog.Length} bytes)");
    }

    [Fact]
    public async Task A_reboot_into_a_different_boot_application_is_quarantined_as_a_PCR_policy_violation_on_the_signed_values_before_the_log_arrives()
    {
        using var nodes = new Nodes([new AgentNode(f, 3, SharedLog)]);
        AgentNode n = nodes[0];
        n.Start();
        await f.Verdicts.WaitForAsync(m => m.Is("NodeTrusted") && Hash(m) == n.TpmHash, Patience, "NodeTrusted (TOFU)", () => n.Output + f.Diagnostics());
        f.SetSecret(n.TpmHash, Label, "never-released");
        await WaitForQuotesAsync(n, 3);

        // Reboot into the same firmware with another boot application: log and PCRs agree.
        (byte[] changed, UntrustedEvent app) = EventLogSeeder.WithChangedDigest(SharedLog, TcgEventType.EV_EFI_BOOT_SERVICES_APPLICATION);
        int before = Quotes(n).Count;
        n.Reboot(changed);

        SpiedMessage q = await f.Verdicts.WaitForAsync(m => m.Is("NodeQuarantined") && Hash(m) == n.TpmHash, Patience, "NodeQuarantined", () => n.Output + f.Diagnostics());
        JsonElement msg = q.Message;
        string[] codes = [.. msg.GetProperty("reasonCodes").EnumerateArray().Select(c => c.GetString()!)];
        Assert.Contains("pcr-policy-violation", codes);
        Assert.DoesNotContain("event-log-replay-mismatch", codes);
        Assert.Contains(msg.GetProperty("failingPcrs").EnumerateArray(), p => p.GetProperty("index").GetInt32() == (int)app.PcrIndex);
        Assert.Equal("Trusted", msg.GetProperty("previousState").GetString());
        if (msg.TryGetProperty("firstBrokenEvent", out JsonElement ev) && ev.ValueKind == JsonValueKind.Object)
        {
            Assert.Equal((int)app.PcrIndex, ev.GetProperty("pcr").GetInt32());
        }

        // The PCR policy is judged on the signed values before a log is asked for (DESIGN.md "withheld
        // evidence"): the verdict did not wait for the new log. The log is asked for all the same and
        // crosses the bus once; the node stays Quarantined with complete evidence (no Silent, no second
        // verdict).
        await WaitForQuotesAsync(n, before + 4);
        Assert.Single(Quotes(n).Skip(before), HasLog);
        Assert.Single(f.Verdicts.Messages, m => m.Is("NodeQuarantined") && Hash(m) == n.TpmHash);

        // Its discovery call gets an error carrying the reason code, not the secret.
        ProcessResult discovery = await n.DiscoverAsync(Label);
        using JsonDocument doc = JsonDocument.Parse(discovery.StdOut);
        Assert.False(doc.RootElement.TryGetProperty("data", out _), discovery.StdOut);
        string error = doc.RootElement.GetProperty("error").GetString()!;
        Assert.Contains("quarantined", error, StringComparison.Ordinal);
        Assert.Contains("pcr-policy-violation", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_PCR_extended_without_a_log_entry_is_quarantined_as_broken_evidence_not_as_policy()
    {
        using var nodes = new Nodes([new AgentNode(f, 4, SharedLog)]);
        AgentNode n = nodes[0];
        n.Start();
        await f.Verdicts.WaitForAsync(m => m.Is("NodeTrusted") && Hash(m) == n.TpmHash, Patience, "NodeTrusted", () => n.Output + f.Diagnostics());

        EventLogSeeder.ExtendUnlogged(n.Tpm, 4);

        SpiedMessage q = await f.Verdicts.WaitForAsync(m => m.Is("NodeQuarantined") && Hash(m) == n.TpmHash, Patience, "NodeQuarantined", () => n.Output + f.Diagnostics());
        string[] codes = [.. q.Message.GetProperty("reasonCodes").EnumerateArray().Select(c => c.GetString()!)];
        Assert.Contains("event-log-replay-mismatch", codes);
        Assert.DoesNotContain("pcr-policy-violation", codes);
        Assert.Contains(q.Message.GetProperty("failingPcrs").EnumerateArray(), p => p.GetProperty("index").GetInt32() == 4);
    }

    [Fact]
    public async Task An_agent_that_stops_publishing_is_reported_silent_after_the_set_intervals()
    {
        using var nodes = new Nodes([new AgentNode(f, 6, SharedLog)]);
        AgentNode n = nodes[0];
        n.Start();
        await f.Verdicts.WaitForAsync(m => m.Is("NodeTrusted") && Hash(m) == n.TpmHash, Patience, "NodeTrusted", () => n.Output + f.Diagnostics());
        await WaitForQuotesAsync(n, Quotes(n).Count + 1);

        n.Kill(); // no goodbye
        DateTimeOffset killed = DateTimeOffset.UtcNow;
        SpiedMessage silent = await f.Verdicts.WaitForAsync(m => m.Is("NodeSilent") && Hash(m) == n.TpmHash && m.At > killed, Patience, "NodeSilent", f.Diagnostics);
        Assert.True(silent.Message.GetProperty("intervals").GetInt32() >= AttestationClassFixture.SilentIntervals);
        Assert.Equal("Trusted", silent.Message.GetProperty("previousState").GetString());
        TimeSpan after = silent.At - killed;
        Assert.True(after >= TimeSpan.FromSeconds(2 * AttestationClassFixture.SilentIntervals) - TimeSpan.FromSeconds(2.5), $"silent after only {after}");
    }

    private static string? Hash(SpiedMessage m) => m.Message.TryGetProperty("tpmHash", out JsonElement h) ? h.GetString() : null;

    private static bool HasLog(SpiedMessage m) => m.Message.TryGetProperty("eventLog", out JsonElement l) && l.ValueKind == JsonValueKind.String;

    private List<SpiedMessage> Quotes(AgentNode n) => [.. f.ToVerifier.Messages.Where(m => m.Is("QuoteSubmitted") && Hash(m) == n.TpmHash)];

    private async Task WaitForQuotesAsync(AgentNode n, int count)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (Quotes(n).Count < count)
        {
            if (clock.Elapsed > Patience)
            {
                throw new TimeoutException($"only {Quotes(n).Count} quotes of node {n.Index}, wanted {count}\n{n.Output}\n{f.Diagnostics()}");
            }

            await Task.Delay(200);
        }
    }

    private sealed class Nodes(AgentNode[] nodes) : IDisposable, IEnumerable<AgentNode>
    {
        public AgentNode this[int i] => nodes[i];

        public void Dispose()
        {
            foreach (AgentNode n in nodes)
            {
                n.Dispose();
            }
        }

        public IEnumerator<AgentNode> GetEnumerator() => ((IEnumerable<AgentNode>)nodes).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => nodes.GetEnumerator();
    }
}
