using KcryptPush.Agent.Enrolment;
using KcryptPush.Agent.Hosting;
using KcryptPush.Contracts.V1;
using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Tpm.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KcryptPush.Integration.Tests.Enrolment;

/// <summary>
/// The broker stops in the middle of enrolments and starts again in the same directory (same port,
/// same durable queues). No service is restarted; every enrolment completes and nothing is lost.
/// </summary>
[Trait("Category", "Integration")]
public sealed class BrokerOutageEnrolmentTests : IAsyncLifetime
{
    private readonly RabbitMqFixture _broker = new();
    private SwtpmPool _tpms = null!;
    private KcryptPushServices _services = null!;

    public async Task InitializeAsync()
    {
        Task<SwtpmPool> tpms = Task.Run(() => SwtpmPool.Start(2));
        await _broker.InitializeAsync();
        _tpms = await tpms;
        _services = new KcryptPushServices(_broker);
        await _services.StartAsync(SwtpmPool.CaDirectory(_services.Directory, [.. _tpms.Instances]));
    }

    public async Task DisposeAsync()
    {
        _services?.Dispose();
        _tpms?.Dispose();
        await _broker.DisposeAsync();
    }

    [Fact]
    public async Task Enrolments_interrupted_by_a_broker_restart_complete_without_restarting_any_service()
    {
        SwtpmInstance gatedTpm = _tpms[0], lateTpm = _tpms[1];
        int registrarPid = _services.Registrar!.Pid, verifierPid = _services.Verifier!.Pid;

        // Agent 1 (in-process): holds between the challenge and the proof until the broker is down.
        var gated = new GatedAgentTpm(new TpmAgentTpm(gatedTpm.TpmUri, EkKind.Rsa2048, AkKind.Rsa2048));
        using IHost host = AgentHost.Build(
            new Dictionary<string, string?>
            {
                ["Broker:Uri"] = _broker.Uri,
                ["Broker:RequestTimeout"] = "00:00:10",
                ["Agent:Tpm"] = gatedTpm.TpmUri,
                ["Agent:Hostname"] = "outage-1",
                ["Agent:RetryMinDelay"] = "00:00:00.500",
                ["Agent:RetryMaxDelay"] = "00:00:04",
            },
            runService: false,
            environment: new Dictionary<string, string?>(),
            configure: s => s.AddSingleton<IAgentTpm>(gated),
            logging: l => l.ClearProviders());
        await host.StartAsync();
        ServiceProcess? late = null;
        try
        {
            Task<EnrolmentResult> enrolling = host.Services.GetRequiredService<Enroller>().EnrolAsync(CancellationToken.None, TimeSpan.FromMinutes(3));
            await gated.ChallengeReceived.WaitAsync(TimeSpan.FromSeconds(60));
            await _broker.StopAsync();
            gated.Release();

            // Agent 2 (kcrypt-push-agent run, a process) starts while the broker is down.
            late = ServiceProcess.Start("late-agent", "dotnet",
                [KcryptPushBinaries.Agent, "run", "--broker", _broker.Uri, "--tpm", lateTpm.TpmUri],
                new Dictionary<string, string?> { ["KCRYPTPUSH_Agent__Hostname"] = "outage-2", ["KCRYPTPUSH_Agent__RetryMaxDelay"] = "00:00:04" });
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.False(enrolling.IsCompleted);
            Assert.DoesNotContain("Application started", late.Output, StringComparison.Ordinal);

            await _broker.StartAsync();

            EnrolmentResult result = await enrolling.WaitAsync(TimeSpan.FromMinutes(2));
            Assert.True(result.Status == EnrolmentStatus.Enrolled, result.Message);
            await late.WaitForOutputAsync("Application started", TimeSpan.FromMinutes(2));

            // Both nodes reached both stores; the services ran throughout.
            foreach ((SwtpmInstance tpm, string hostname) in new[] { (gatedTpm, "outage-1"), (lateTpm, "outage-2") })
            {
                TpmKeys keys = TpmKeys.Read(tpm, crossCheckWithTpm2Tools: false);
                var node = _services.RegistrarNode(keys.TpmHash) ?? throw new InvalidOperationException($"registrar lost {hostname}");
                Assert.Equal("enrolled", node.GetProperty("state").GetString());
                var verifier = await _services.WaitForVerifierNodeAsync(keys.TpmHash, TimeSpan.FromMinutes(1));
                Assert.Equal(Convert.ToHexStringLower(keys.AkName), verifier.GetProperty("akName").GetString());
                Assert.Equal(hostname, verifier.GetProperty("hostname").GetString());
            }

            Assert.Equal(1, gated.Activations);
            Assert.False(_services.Registrar.HasExited, _services.Registrar.Output);
            Assert.False(_services.Verifier.HasExited, _services.Verifier.Output);
            Assert.Equal(registrarPid, _services.Registrar.Pid);
            Assert.Equal(verifierPid, _services.Verifier.Pid);

            // Nothing is parked in an error queue or left unconsumed.
            var queues = await _broker.QueuesAsync();
            Assert.All(queues.Where(q => q.Key.EndsWith("_error", StringComparison.Ordinal) || q.Key.EndsWith("_skipped", StringComparison.Ordinal)),
                q => Assert.Equal(0, q.Value.Messages));
            Assert.Equal(0, queues[KcryptPushServices.RegistrarQueue].Messages);
            Assert.Equal(0, queues[KcryptPushServices.VerifierQueue].Messages);
        }
        finally
        {
            gated.Release();
            late?.Terminate();
            late?.Dispose();
            await host.StopAsync();
        }
    }

    /// <summary>The real TPM, with a pause between receiving the challenge and activating it.</summary>
    private sealed class GatedAgentTpm(TpmAgentTpm tpm) : IAgentTpm
    {
        private readonly TaskCompletionSource _challenge = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ManualResetEventSlim _release = new();

        public Task ChallengeReceived => _challenge.Task;

        public int Activations { get; private set; }

        public void Release() => _release.Set();

        public AgentIdentity ReadIdentity() => tpm.ReadIdentity();

        public byte[] ActivateCredential(CredentialChallenge challenge)
        {
            _challenge.TrySetResult();
            _release.Wait(TimeSpan.FromMinutes(2));
            Activations++;
            return tpm.ActivateCredential(challenge);
        }
    }
}
