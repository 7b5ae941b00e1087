using System.Net;
using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Integration.Tests.Observe;
using KcryptPush.Messaging;
using KcryptPush.Tests;
using Xunit.Abstractions;

namespace KcryptPush.Integration.Tests.Attestation;

/// <summary>
/// The verifier's LiteDB store on a file system that fills up (issue 10, item 4): verifier.db on a
/// private 16 MiB tmpfs, a simulated node attesting every 2 s, then a file fills the rest of the file
/// system. While it is full nothing may be released or acknowledged without its state committed: the
/// node gets no pass (the quote's unit cannot commit: the message is retried, then kept in the
/// endpoint's <c>_error</c> queue, and the node is told of a fault), the verifier logs why, and its
/// /readyz says not ready. Once the file is removed the same verifier process (its store reopens the
/// file: LiteDB does not recover a failed engine) passes the node again and says ready. Mounting needs root (tests
/// run as root in CI); elsewhere the test is reported skipped with the reason (<see cref="TmpfsFactAttribute"/>).
/// </summary>
[Trait("Category", "Integration")]
public sealed class FullStoreTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Slow = TimeSpan.FromSeconds(60);
    private readonly RabbitMqFixture _broker = new();
    private ServiceProcess? _verifier;
    private PrivateTmpfs? _fs;

    public Task InitializeAsync() => _broker.InitializeAsync();

    public async Task DisposeAsync()
    {
        _verifier?.Dispose();
        await _broker.DisposeAsync();
        _fs?.Dispose();
    }

    [TmpfsFact]
    public async Task A_full_file_system_stops_passes_and_readiness_and_loses_nothing_and_the_node_passes_once_space_returns()
    {
        _fs = PrivateTmpfs.Mount("kcp-it-full-store-", "16m");
        string mount = _fs.Path;
        IReadOnlyDictionary<string, string> roles = await _broker.CreateRoleUsersAsync();
        _verifier = StartVerifier(roles["verifier"], mount);
        Uri http = await ServiceHttp.UrlAsync(_verifier, Slow);
        await _broker.WaitForConsumersAsync(Slow, KcryptPushQueues.VerifierEnrolment, KcryptPushQueues.VerifierAttestation);
        await ReadyAsync(http, true);

        await using SimulatedFleet fleet = await SimulatedFleet.StartAsync(_broker.Uri, AttestationClassFixture.SharedLog, Period, TimeSpan.FromSeconds(30));
        fleet.Add("full-store", 1);
        string node = fleet.Nodes[0].TpmHash;
        await SimulatedFleet.WaitUntilAsync(() => fleet.PassesOf(node).Count >= 2, Slow, () => $"no steady pass:\n{fleet.ProblemText()}\n{_verifier.Output}");

        // Fill the file system: dd stops at ENOSPC.
        string filler = Path.Combine(mount, "filler");
        ProcessResult dd = ProcessRunner.Run("dd", ["if=/dev/zero", $"of={filler}", "bs=64k"], timeout: TimeSpan.FromSeconds(60));
        Assert.Contains("No space left on device", dd.StdErr, StringComparison.Ordinal);
        DateTimeOffset full = DateTimeOffset.UtcNow;
        Log($"file system full: {new DriveInfo(mount).AvailableFreeSpace} bytes free; {fleet.PassesOf(node).Count} passes so far");

        // Not ready, with the reason; no pass while full (the unit cannot commit).
        (HttpStatusCode status, string body) = await ReadyAsync(http, false);
        Log($"/readyz while full: {(int)status} {body.ReplaceLineEndings(" ")}");
        Assert.Contains("store", body, StringComparison.Ordinal);
        await SimulatedFleet.WaitUntilAsync(() => !fleet.Problems.IsEmpty, Slow, () => $"the node kept passing on a full store: {fleet.PassesOf(node).Count(p => p > full)} passes\n{_verifier.Output}");
        await Task.Delay(TimeSpan.FromSeconds(10));
        DateTimeOffset freeing = DateTimeOffset.UtcNow;
        DateTimeOffset[] passedWhileFull = [.. fleet.PassesOf(node).Where(p => p > full + TimeSpan.FromSeconds(1) && p < freeing)];
        Log($"while full: {fleet.Problems.Count} problems, first: {fleet.Problems.First().What}; passes {passedWhileFull.Length}");
        Assert.True(passedWhileFull.Length == 0, $"passes while the store could not commit: {string.Join(", ", passedWhileFull)}");
        Assert.Contains("No space left on device", _verifier.Output, StringComparison.Ordinal);

        // The quote is not lost. Retried while the store cannot commit, it is either kept in the endpoint's
        // error queue when every retry met a failed engine (scripts/rabbitmq.sh lets the verifier declare it;
        // before, the broker refused and the message went round for ever), or, when a retry met the store
        // just reopened, answered with a refusal that recorded nothing: its challenge expired during the
        // retries, or was issued by a write the failed engine never wrote (an issued challenge is not
        // checkpointed; losing one only refuses the quote). Never a pass (above). Dropped would be neither.
        IReadOnlyDictionary<string, (int Messages, int Consumers)> queues = await _broker.QueuesAsync();
        int faulted = queues.GetValueOrDefault(KcryptPushQueues.VerifierAttestation + "_error").Messages;
        string[] answered = [.. fleet.Problems.Where(p => p.At > full && !p.What.Contains("not answered", StringComparison.Ordinal)).Select(p => p.What)];
        Log($"{KcryptPushQueues.VerifierAttestation}_error holds {faulted} message(s); {answered.Length} refusal(s) answered while full{(answered.Length > 0 ? ", first: " + answered[0] : "")}");
        Assert.True(faulted > 0 || answered.Length > 0, $"no message kept in the error queue and none answered: {string.Join("; ", queues.Select(q => $"{q.Key}={q.Value}"))}\n{fleet.ProblemText()}\n{_verifier.Output}");
        Assert.DoesNotContain("ACCESS_REFUSED", _verifier.Output, StringComparison.Ordinal);

        // Space returns. LiteDB 5 does not recover an engine that failed a write (it keeps the I/O error
        // and leaks the failed transactions: "Maximum number of transactions reached"): the store reopens
        // the file in the same process, and the verifier must pass the node again without a restart, on
        // what it had committed before the disk filled, and say ready once a unit has committed.
        int pid = _verifier.Pid;
        File.Delete(filler);
        DateTimeOffset freed = DateTimeOffset.UtcNow;
        await SimulatedFleet.WaitUntilAsync(() => fleet.PassesOf(node).Any(p => p > freed), Slow, () => $"no pass after space returned:\n{fleet.ProblemText()}\n{_verifier.Output}");
        (status, body) = await ReadyAsync(http, true);
        Log($"same verifier (pid {pid}) passing the node {(fleet.PassesOf(node).First(p => p > freed) - freed).TotalSeconds:0.0}s after the filler was removed; /readyz {(int)status}");
        Assert.False(_verifier.HasExited, _verifier.Output);
        Assert.Equal(pid, _verifier.Pid);
        Assert.Contains("reopened after", _verifier.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("NodeQuarantined", _verifier.Output, StringComparison.Ordinal);
        Assert.True(await fleet.StopAsync(Slow));
    }

    private static ServiceProcess StartVerifier(string broker, string mount) => ServiceProcess.Start("verifier", "dotnet",
        [KcryptPushBinaries.Verifier, "run", "--broker", broker, "--db", Path.Combine(mount, "verifier.db"), "--interval", "2s", "--http", "127.0.0.1:0"],
        new Dictionary<string, string?> { ["KCRYPTPUSH_Verifier__SilentIntervals"] = "30", ["KCRYPTPUSH_INTERVAL"] = null });

    private async Task<(HttpStatusCode Status, string Body)> ReadyAsync(Uri http, bool ready) =>
        await ServiceHttp.PollAsync(() => ServiceHttp.GetAsync(http, "readyz"), r => (r.Status == HttpStatusCode.OK) == ready, Slow, r => $"/readyz {(int)r.Status}: {r.Body}");

    private void Log(string line)
    {
        string stamped = $"[{DateTimeOffset.UtcNow:HH:mm:ss.f}] {line}";
        output.WriteLine(stamped);
        Console.WriteLine(stamped);
    }
}
