using System.Diagnostics;
using System.Text.Json;
using KcryptPush.Integration.Tests.Fixtures;

namespace KcryptPush.Integration.Tests.Attestation;

/// <summary>A fact that needs the container broker (<see cref="BrokerContainer.Enabled"/>); skipped with the reason otherwise.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ContainerBrokerFactAttribute : FactAttribute
{
    public ContainerBrokerFactAttribute()
    {
        if (!BrokerContainer.Enabled)
        {
            Skip = $"SKIPPED: needs the container broker ({BrokerContainer.Why})";
        }
    }
}

/// <summary>
/// What only a container broker can show: the broker frozen whole (<c>docker pause</c>: TCP
/// connections open, nothing answers, as a stalled broker host) while two agents on real swtpms
/// and the verifier are mid-attestation, for longer than several attestation intervals but less
/// than the verifier's silence threshold. Nothing may be lost: both verdicts reach the verdict
/// exchange, every node attests again after the pause, no node is quarantined, none is reported
/// silent, and every process is still running.
/// </summary>
[Trait("Category", "Containers")]
public sealed class BrokerPauseTests(AttestationClassFixture f) : IClassFixture<AttestationClassFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    // 5 intervals of 2 s; the verifier reports silence after 8 (AttestationClassFixture).
    private static readonly TimeSpan Pause = TimeSpan.FromSeconds(10);

    [ContainerBrokerFact]
    public async Task A_broker_paused_mid_attestation_loses_nothing()
    {
        BrokerContainer broker = f.Broker.Container ?? throw new InvalidOperationException($"no container broker: {BrokerContainer.Why}");
        byte[] log = File.ReadAllBytes(AttestationClassFixture.SharedLog);
        using var a = new AgentNode(f, 0, log);
        using var b = new AgentNode(f, 1, log);
        AgentNode[] nodes = [a, b];
        string Diagnostics() => string.Join("\n", nodes.Select(n => $"--- agent {n.Index} ---\n{n.Output}")) + "\n" + f.Diagnostics();

        foreach (AgentNode n in nodes)
        {
            n.Start();
        }

        // Mid-attestation: the first quote has reached the verifier's exchange; its verdict is
        // being made and published (into the paused broker).
        await f.ToVerifier.WaitForAsync(m => m.Is("QuoteSubmitted") && nodes.Any(n => Hash(m) == n.TpmHash), Patience, "a first QuoteSubmitted", Diagnostics);
        var clock = Stopwatch.StartNew();
        await broker.PauseAsync();
        DateTimeOffset pausedAt = DateTimeOffset.UtcNow;
        try
        {
            await Task.Delay(Pause);
        }
        finally
        {
            await broker.UnpauseAsync();
        }

        DateTimeOffset resumedAt = DateTimeOffset.UtcNow;

        // Both verdicts delivered, and every node attests again after the pause.
        foreach (AgentNode n in nodes)
        {
            await f.Verdicts.WaitForAsync(m => m.Is("NodeTrusted") && Hash(m) == n.TpmHash, Patience, $"NodeTrusted for node {n.Index}", Diagnostics);
            await f.ToVerifier.WaitForAsync(m => m.Is("QuoteSubmitted") && Hash(m) == n.TpmHash && m.At > resumedAt, Patience, $"a QuoteSubmitted of node {n.Index} after the pause", Diagnostics);
        }

        // The verifier's store: both nodes Trusted.
        foreach (AgentNode n in nodes)
        {
            JsonElement node = await f.Services.WaitForVerifierNodeAsync(n.TpmHash, Patience);
            Assert.True(node.GetProperty("state").GetString() == "Trusted", $"node {n.Index} after the pause: {node}\n{Diagnostics()}");
        }

        // Settle two intervals: a late silence or quarantine would show now.
        await Task.Delay(TimeSpan.FromSeconds(4));
        string[] hashes = [.. nodes.Select(n => n.TpmHash)];
        SpiedMessage[] verdicts = [.. f.Verdicts.Messages.Where(m => hashes.Contains(Hash(m)))];
        Assert.DoesNotContain(verdicts, m => m.Is("NodeQuarantined"));
        Assert.DoesNotContain(verdicts, m => m.Is("NodeSilent"));
        foreach (AgentNode n in nodes)
        {
            // One NodeTrusted per node: delivered once (the outbox did not lose or repeat it).
            Assert.Single(verdicts, m => m.Is("NodeTrusted") && Hash(m) == n.TpmHash);
            Assert.False(n.Agent!.HasExited, $"agent {n.Index} exited\n{Diagnostics()}");
        }

        Assert.False(f.Verifier.HasExited, $"the verifier exited\n{Diagnostics()}");
        Assert.True(clock.Elapsed >= Pause, $"paused {pausedAt:O}..{resumedAt:O}");
    }

    private static string? Hash(SpiedMessage m) => m.Message.TryGetProperty("tpmHash", out JsonElement h) ? h.GetString() : null;
}
