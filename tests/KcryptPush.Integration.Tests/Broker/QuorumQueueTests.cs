using KcryptPush.Integration.Tests.Attestation;
using KcryptPush.Integration.Tests.Enrolment;
using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Messaging;
using KcryptPush.Tests;

namespace KcryptPush.Integration.Tests.Broker;

/// <summary>
/// <c>Broker:QueueType=quorum</c> (issue 10, for a RabbitMQ cluster): the registrar's and verifier's
/// durable queues are declared as quorum queues, and a node enrols and attests through them; an
/// unknown queue type is a usage error, not a service that declares something else.
/// </summary>
[Trait("Category", "Integration")]
public sealed class QuorumQueueTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string?> Quorum = new() { ["KCRYPTPUSH_Broker__QueueType"] = "quorum" };
    private readonly PrivateStack _stack = new(1);

    public Task InitializeAsync() => _stack.InitializeAsync();

    public Task DisposeAsync() => _stack.DisposeAsync();

    [Fact]
    public async Task With_quorum_queues_the_services_declare_them_and_a_node_enrols_and_becomes_trusted()
    {
        await _stack.Services.StartAsync(SwtpmPool.CaDirectory(_stack.Services.Directory, [.. _stack.Tpms.Instances]), registrarEnvironment: Quorum, verifierEnvironment: Quorum);
        await _stack.Broker.WaitForConsumersAsync(TimeSpan.FromSeconds(60), KcryptPushQueues.VerifierAttestation);

        (int code, string stdout, string stderr) = await _stack.Broker.Ctl("list_queues", "-q", "--no-table-headers", "name", "type", "durable");
        Assert.True(code == 0, stderr);
        Console.WriteLine($"queues with Broker:QueueType=quorum:\n{stdout}");
        Dictionary<string, string> types = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length == 3)
            .ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal);
        foreach (string queue in new[] { KcryptPushServices.RegistrarQueue, KcryptPushServices.VerifierQueue, KcryptPushQueues.VerifierAttestation })
        {
            Assert.True(types.TryGetValue(queue, out string? type) && type == "quorum", $"{queue} is {types.GetValueOrDefault(queue) ?? "missing"}\n{stdout}");
        }

        // A node on a real swtpm, its PCRs seeded from a real log: enrolled and trusted through them.
        SwtpmInstance tpm = _stack.Tpms[0];
        byte[] log = File.ReadAllBytes(AttestationClassFixture.SharedLog);
        string logPath = Path.Combine(_stack.Services.Directory, "node.log");
        File.WriteAllBytes(logPath, log);
        EventLogSeeder.Seed(tpm, log);
        string tpmHash = TpmKeys.HashOf(tpm);
        using Fixtures.ServiceProcess agent = AgentProcess.Start("agent", _stack.Broker.Uri, tpm, "2s", logPath, "quorum-node");
        await _stack.Services.Verifier!.WaitForOutputAsync($"Published NodeTrusted for {tpmHash}", TimeSpan.FromMinutes(3));
        Assert.False(agent.HasExited, agent.Output);
    }

    [Theory]
    [InlineData("Quorum")]
    [InlineData("stream")]
    [InlineData("")]
    public void An_unknown_queue_type_is_a_usage_error(string type)
    {
        ProcessResult r = ProcessRunner.Run("dotnet", [KcryptPushBinaries.Registrar, "run", "--broker", _stack.Broker.Uri, "--db", Path.Combine(_stack.Services.Directory, "r.db"), "--http", "off"],
            environment: new Dictionary<string, string> { ["KCRYPTPUSH_Broker__QueueType"] = type }, timeout: TimeSpan.FromSeconds(60));
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}\n{r.StdOut}\n{r.StdErr}");
        Assert.Contains("Broker:QueueType must be classic or quorum", r.StdErr, StringComparison.Ordinal);
    }
}
