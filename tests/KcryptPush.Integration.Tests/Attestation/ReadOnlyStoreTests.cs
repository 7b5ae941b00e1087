using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Messaging;
using KcryptPush.Tests;
using Xunit.Abstractions;

namespace KcryptPush.Integration.Tests.Attestation;

/// <summary>
/// The verifier's LiteDB store on a file system that turned read-only (issue 10, item 4; an ext4 that
/// remounts itself read-only after an error, an operator's mistake): verifier.db on a private tmpfs, a
/// simulated node passing, the verifier stopped, the file system remounted read-only and the verifier
/// started on it. It must refuse to run, with one line giving the system's reason and exit code 1,
/// instead of serving without a store, the node get no pass meanwhile, and once the
/// file system is writable again a started verifier must pass the node on what it had stored. A running
/// verifier's file system cannot be remounted read-only (its open database: EBUSY), so the change is
/// made while it is stopped. Mounting needs root (tests run as root in CI); elsewhere the test is reported
/// skipped with the reason (<see cref="TmpfsFactAttribute"/>).
/// </summary>
[Trait("Category", "Integration")]
public sealed class ReadOnlyStoreTests(ITestOutputHelper output) : IAsyncLifetime
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
    public async Task A_verifier_on_a_read_only_store_refuses_to_run_with_the_reason_and_the_node_passes_once_it_is_writable()
    {
        _fs = PrivateTmpfs.Mount("kcp-it-ro-store-", "16m");
        string mount = _fs.Path;
        IReadOnlyDictionary<string, string> roles = await _broker.CreateRoleUsersAsync();
        _verifier = StartVerifier(roles["verifier"], mount);
        await _broker.WaitForConsumersAsync(Slow, KcryptPushQueues.VerifierEnrolment, KcryptPushQueues.VerifierAttestation);
        await using SimulatedFleet fleet = await SimulatedFleet.StartAsync(_broker.Uri, AttestationClassFixture.SharedLog, Period, TimeSpan.FromSeconds(10));
        fleet.Add("ro-store", 1);
        string node = fleet.Nodes[0].TpmHash;
        await SimulatedFleet.WaitUntilAsync(() => fleet.PassesOf(node).Count >= 2, Slow, () => $"no steady pass:\n{fleet.ProblemText()}\n{_verifier.Output}");

        Assert.Equal(0, _verifier.Terminate());
        _verifier.Dispose();
        _fs.Remount(readOnly: true);
        DateTimeOffset readOnly = DateTimeOffset.UtcNow;

        _verifier = StartVerifier(roles["verifier"], mount);
        int code = await _verifier.WaitForExitAsync(Slow);
        Log($"verifier on the read-only store exited {code}: {string.Join(" / ", _verifier.Output.Trim().Split('\n').Where(l => !l.TrimStart().StartsWith("at ", StringComparison.Ordinal)).Take(4))}");
        // It refuses to run with one line saying why: the file system is read-only, not the database "in
        // use by a running verifier" (StoreFileLock reported every IOException on the lock file so), and
        // no unhandled exception's stack trace (the store is opened while the host is built).
        Assert.Equal(1, code);
        Assert.Contains("kcrypt-push-verifier: cannot open the database: ", _verifier.Output, StringComparison.Ordinal);
        Assert.Contains("Read-only file system", _verifier.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("in use by a running verifier", _verifier.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", _verifier.Output, StringComparison.Ordinal);
        _verifier.Dispose();

        _fs.Remount(readOnly: false);
        DateTimeOffset writable = DateTimeOffset.UtcNow;
        Assert.DoesNotContain(fleet.PassesOf(node), p => p > readOnly && p < writable);

        _verifier = StartVerifier(roles["verifier"], mount);
        await SimulatedFleet.WaitUntilAsync(() => fleet.PassesOf(node).Any(p => p > writable), Slow, () => $"no pass once writable:\n{fleet.ProblemText()}\n{_verifier.Output}");
        Log($"the node passed {(fleet.PassesOf(node).First(p => p > writable) - writable).TotalSeconds:0.0}s after the file system was writable again and the verifier started");
        Assert.DoesNotContain("NodeQuarantined", _verifier.Output, StringComparison.Ordinal);
        Assert.True(await fleet.StopAsync(Slow));
    }

    private static ServiceProcess StartVerifier(string broker, string mount) => ServiceProcess.Start("verifier", "dotnet",
        [KcryptPushBinaries.Verifier, "run", "--broker", broker, "--db", Path.Combine(mount, "verifier.db"), "--interval", "2s", "--http", "off"],
        new Dictionary<string, string?> { ["KCRYPTPUSH_Verifier__SilentIntervals"] = "30", ["KCRYPTPUSH_INTERVAL"] = null });

    private void Log(string line)
    {
        string stamped = $"[{DateTimeOffset.UtcNow:HH:mm:ss.f}] {line}";
        output.WriteLine(stamped);
        Console.WriteLine(stamped);
    }
}
