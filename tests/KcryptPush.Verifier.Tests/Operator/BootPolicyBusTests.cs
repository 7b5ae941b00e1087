using System.Diagnostics;
using System.Text;
using System.Text.Json;
using KcryptPush.Attestation.BootPolicy;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Contracts.V1;
using KcryptPush.Tpm.Structures;
using KcryptPush.Verifier.Attestation;
using KcryptPush.Verifier.Store;
using MassTransit;

namespace KcryptPush.Verifier.Tests.Operator;

/// <summary>
/// The measured-boot policy on the running service (issue 9 item 2): <c>kcrypt-push-verifier run</c> as a process
/// on a private RabbitMQ with a fleet default (<c>Verifier:DefaultBootPolicy</c>), quotes submitted over the broker
/// as an agent submits them, and <c>nodes set-boot-policy</c> as the real executable.
/// </summary>
[Trait("Category", "Integration")]
public sealed class BootPolicyBusTests : IClassFixture<RabbitMqFixture>, IAsyncLifetime
{
    private const string Fedora = "qemu-fedora37-sdboot";
    private readonly RabbitMqFixture _broker;
    private readonly string _dir = Directory.CreateTempSubdirectory("kcrypt-boot-policy-bus-").FullName;
    private readonly PipelineHarness _node = new(); // only its software EK/AK, to make quotes
    private AlertBus _alerts = null!;
    private uint _boots;

    public BootPolicyBusTests(RabbitMqFixture broker)
    {
        _broker = broker;
    }

    private string Db => Path.Combine(_dir, "verifier.db");

    private static byte[] Genuine => File.ReadAllBytes(Path.Combine(RepoPaths.EventLogs, Fedora + ".bin"));

    public async Task InitializeAsync() => _alerts = await AlertBus.StartAsync(_broker.Uri, "kcp-test-boot-policy-alerts");

    public async Task DisposeAsync()
    {
        await _alerts.DisposeAsync();
        _node.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private string WritePolicy(string name, byte[] log)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, BootPolicyJson.Write(BootPolicyFactory.Create(EventLogParser.Parse(log))));
        return path;
    }

    private static byte[] OtherCommandLine(out int first)
    {
        byte[] log = Genuine;
        int[] lines = EventLogParser.Parse(log).UntrustedEvents.Where(e => e.PcrIndex == 12 && e.EventType == TcgEventType.EV_IPL).Select(e => e.Index).ToArray();
        first = lines[0];
        foreach (int i in lines)
        {
            log = BootLogEdits.ReplaceText(log, i, "efi=debug", "efi=nodbg", utf16: true);
        }

        return log;
    }

    [Fact]
    public async Task The_default_and_a_nodes_own_boot_policy_judge_every_attestation_and_set_boot_policy_changes_which()
    {
        string fleet = WritePolicy("fleet.json", Genuine);
        byte[] other = OtherCommandLine(out int first);
        string own = WritePolicy("other-cmdline.json", other);
        using Service verifier = Service.Run(
            ["--broker", _broker.Uri, "--db", Db, "--interval", "60s"],
            new() { ["KCRYPTPUSH_Verifier__DefaultBootPolicy"] = fleet, ["KCRYPTPUSH_Verifier__Banks"] = "sha256" });
        await WaitUntil(() => verifier.Output.Contains("Fleet default boot policy", StringComparison.Ordinal), "the default policy loaded", verifier);
        Assert.Contains(Path.GetFullPath(fleet), verifier.Output, StringComparison.Ordinal);

        string hash = _node.TpmHash;
        await Enrol(verifier);
        Challenge challenge = await FirstChallenge();

        // The genuine boot passes the fleet default (and is learned as the node's PCRs); PCR 12 (the command line) is
        // left to the boot policy.
        AttestationResult genuine = await Submit(challenge, Genuine);
        Assert.True(genuine.Verdict == AttestationVerdicts.Pass, string.Join("; ", genuine.Reasons.Select(r => r.Message)));
        Ok(await Nodes("set-pcr", hash, "sha256:12", "--skip"));

        // Another kernel command line: boot-policy-violation naming the rule and the event; NodeQuarantined carries the event.
        AttestationResult changed = await Submit(genuine.NextChallenge!, other);
        Assert.Equal(AttestationVerdicts.Fail, changed.Verdict);
        Assert.Equal(2, changed.Reasons.Length); // both command line events (systemd-boot's and the stub's)
        Assert.All(changed.Reasons, r => Assert.Equal(AttestationReasonCodes.BootPolicyViolation, r.Code));
        AttestationReason reason = changed.Reasons[0];
        Assert.StartsWith("kernel-command-line: expected an allowed kernel command line", reason.Message, StringComparison.Ordinal);
        Assert.Contains($"at event #{first} (PCR 12, EV_IPL", reason.Message, StringComparison.Ordinal);
        Assert.EndsWith("(fleet default boot policy)", reason.Message, StringComparison.Ordinal);
        NodeQuarantined q = await _alerts.WaitForAsync<NodeQuarantined>(v => v.TpmHash == hash);
        Assert.Equal((first, 12u), (q.FirstBrokenEvent!.Index, q.FirstBrokenEvent.Pcr));

        // set-boot-policy: a bad file is refused locally (exit 2, one line), an unknown node is exit 1.
        string bad = Path.Combine(_dir, "bad.json");
        await File.WriteAllTextAsync(bad, "{\"version\": 1, \"banks\": [\"sha256\"], \"kernelCommandLine\": {}}");
        (int badCode, string badOut, string badErr) = await Nodes("set-boot-policy", hash, bad);
        Assert.Equal((2, ""), (badCode, badOut));
        Assert.Contains("$.kernelCommandLine", Assert.Single(badErr.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
        (int unknownCode, _, string unknownErr) = await Nodes("set-boot-policy", new string('e', 64), own);
        Assert.Equal(1, unknownCode);
        Assert.Contains("node-unknown", unknownErr, StringComparison.Ordinal);

        // The node's own policy replaces the default: the other command line passes, the genuine one fails.
        JsonElement set = Ok(await Nodes("set-boot-policy", hash, own, "--operator", "alice", "--json"));
        Assert.True(set.GetProperty("succeeded").GetBoolean());
        JsonElement show = Ok(await Nodes("show", hash, "--json"));
        Assert.True(show.GetProperty("hasBootPolicy").GetBoolean());
        Assert.Contains(show.GetProperty("audit").EnumerateArray(), a => a.GetProperty("actor").GetString() == "broker:guest (--operator alice)" && a.GetProperty("what").GetString() == "boot policy");
        AttestationResult ownPass = await Submit(changed.NextChallenge!, other);
        Assert.True(ownPass.Verdict == AttestationVerdicts.Pass, string.Join("; ", ownPass.Reasons.Select(r => r.Message)));
        AttestationResult ownFail = await Submit(ownPass.NextChallenge!, Genuine);
        Assert.Equal(AttestationVerdicts.Fail, ownFail.Verdict);
        Assert.All(ownFail.Reasons, r => Assert.Equal(AttestationReasonCodes.BootPolicyViolation, r.Code));
        Assert.All(ownFail.Reasons, r => Assert.DoesNotContain("fleet default", r.Message, StringComparison.Ordinal));

        // --none: the default applies again.
        Ok(await Nodes("set-boot-policy", hash, "--none", "--operator", "bob"));
        Assert.False(Ok(await Nodes("show", hash, "--json")).GetProperty("hasBootPolicy").GetBoolean());
        Ok(await Nodes("release", hash, "--operator", "bob"));
        AttestationResult back = await Submit(ownFail.NextChallenge!, Genuine);
        Assert.True(back.Verdict == AttestationVerdicts.Pass, string.Join("; ", back.Reasons.Select(r => r.Message)));
        AttestationResult backFail = await Submit(back.NextChallenge!, other);
        Assert.Equal(AttestationVerdicts.Fail, backFail.Verdict);
        Assert.All(backFail.Reasons, r => Assert.EndsWith("(fleet default boot policy)", r.Message, StringComparison.Ordinal));
        Assert.False(verifier.HasExited, verifier.Output);

        verifier.Dispose();
        using var store = new LiteDbVerifierStore(Db, new VerifierStoreOptions { ReadOnly = true });
        Assert.Null(store.FindAttestation(hash)!.BootPolicyJson);
        Assert.Contains(store.Audit(hash), a => (a.Actor, a.What, a.NewValue) == ("broker:guest (--operator bob)", "boot policy", null)); // the CLI's broker user (guest here), --operator as a comment
    }

    [Theory]
    [InlineData("missing.json", null, "no such file")]
    [InlineData("invalid.json", "{\"version\": 1, \"banks\": [\"sha256\"], \"bootConfig\": [{\"pcr\": 8}]}", "$.bootConfig[0].allowed")]
    [InlineData("not-json.json", "kernel_cmdline", "not JSON")]
    public async Task A_default_boot_policy_that_does_not_load_stops_the_service_with_one_clear_line(string name, string? content, string mentions)
    {
        string path = Path.Combine(_dir, name);
        if (content is not null)
        {
            await File.WriteAllTextAsync(path, content);
        }

        using Service verifier = Service.Run(["--broker", _broker.Uri, "--db", Db], new() { ["KCRYPTPUSH_Verifier__DefaultBootPolicy"] = path });
        int code = await verifier.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2, code);
        string line = Assert.Single(verifier.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"kcrypt-push-verifier: invalid configuration: Verifier:DefaultBootPolicy: {path}: ", line, StringComparison.Ordinal);
        Assert.Contains(mentions, line, StringComparison.Ordinal);
    }

    private async Task Enrol(Service verifier)
    {
        var enrolled = new NodeEnrolled(_node.TpmHash, _node.EkPublic.ToArray(), _node.AkPublic, _node.AkName, "node-boot-policy", DateTimeOffset.UtcNow);
        DateTime until = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < until)
        {
            await _alerts.Bus.Publish(enrolled);
            (int code, string stdout, _) = await Nodes("list", "--json", "--timeout", "3s");
            if (code == 0 && JsonDocument.Parse(stdout).RootElement.EnumerateArray().Any(n => n.GetProperty("tpmHash").GetString() == _node.TpmHash))
            {
                return;
            }

            await Task.Delay(500);
        }

        throw new TimeoutException($"the verifier never listed the node\n{verifier.Output}");
    }

    private async Task<Challenge> FirstChallenge()
    {
        IRequestClient<RequestChallenge> client = _alerts.Bus.CreateRequestClient<RequestChallenge>(VerifierAttestationRegistration.Address, RequestTimeout.After(s: 30));
        Response<Challenge, AttestationRefused> r = await client.GetResponse<Challenge, AttestationRefused>(new RequestChallenge(_node.TpmHash));
        Assert.True(r.Is(out Response<Challenge>? challenge), "the verifier refused a challenge");
        Assert.Equal(["sha256"], challenge!.Message.Selection.Select(s => s.Bank));
        return challenge.Message;
    }

    /// <summary>A boot (next resetCount) that measured <paramref name="log"/>: its quote over <paramref name="challenge"/>, with the log.</summary>
    private async Task<AttestationResult> Submit(Challenge challenge, byte[] log)
    {
        _boots++;
        TpmsClockInfo clock = RealEvidence.Clock with { ResetCount = RealEvidence.Clock.ResetCount + _boots, Clock = RealEvidence.Clock.Clock + _boots };
        QuoteSubmitted quote = _node.Quote(challenge.ChallengeId, log: log, pcrs: BootLogEdits.QuoteOf(log, "sha256")["sha256"], signedNonce: challenge.Nonce, clock: clock);
        IRequestClient<QuoteSubmitted> client = _alerts.Bus.CreateRequestClient<QuoteSubmitted>(VerifierAttestationRegistration.Address, RequestTimeout.After(s: 30));
        return (await client.GetResponse<AttestationResult>(quote)).Message;
    }

    private Task<(int Code, string Stdout, string Stderr)> Nodes(params string[] args) =>
        VerifierProcess.Command(null, ["nodes", .. args, "--broker", _broker.Uri]);

    private static JsonElement Ok((int Code, string Stdout, string Stderr) r)
    {
        Assert.True(r.Code == 0, $"exit {r.Code}: {r.Stderr}");
        return r.Stdout.TrimStart().StartsWith('{') ? JsonDocument.Parse(r.Stdout).RootElement.Clone() : default;
    }

    private static async Task WaitUntil(Func<bool> condition, string what, Service verifier)
    {
        DateTime until = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            if (DateTime.UtcNow > until || verifier.HasExited)
            {
                throw new TimeoutException($"waited for {what}\n{verifier.Output}");
            }

            await Task.Delay(200);
        }
    }

    /// <summary><c>kcrypt-push-verifier run</c> (the dll this project builds) with extra environment; output and errors together.</summary>
    private sealed class Service : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private bool _disposed;

        private Service(Process process)
        {
            _process = process;
        }

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public bool HasExited => _process.HasExited;

        public static Service Run(string[] args, Dictionary<string, string> environment)
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add(VerifierProcess.Dll);
            psi.ArgumentList.Add("run");
            foreach (string a in args)
            {
                psi.ArgumentList.Add(a);
            }

            foreach (string key in psi.Environment.Keys.Where(k => k.StartsWith("KCRYPTPUSH_", StringComparison.Ordinal)).ToList())
            {
                psi.Environment.Remove(key);
            }

            // A free loopback port for its HTTP listener: the default 127.0.0.1:9464 may be held by
            // another service on this machine (a test class running beside this one).
            psi.Environment["KCRYPTPUSH_HTTP"] = "127.0.0.1:0";

            foreach ((string key, string value) in environment)
            {
                psi.Environment[key] = value;
            }

            var s = new Service(Process.Start(psi)!);
            s._process.OutputDataReceived += (_, e) => s.Append(e.Data);
            s._process.ErrorDataReceived += (_, e) => s.Append(e.Data);
            s._process.BeginOutputReadLine();
            s._process.BeginErrorReadLine();
            return s;
        }

        public async Task<int> WaitForExitAsync(TimeSpan limit)
        {
            using var cts = new CancellationTokenSource(limit);
            await _process.WaitForExitAsync(cts.Token);
            _process.WaitForExit(); // the output callbacks have run
            return _process.ExitCode;
        }

        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }

            _process.Dispose();
        }

        private void Append(string? line)
        {
            if (line is not null)
            {
                lock (_output)
                {
                    _output.AppendLine(line);
                }
            }
        }
    }
}
