using System.Text.Json;
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
/// Enrolment end to end: real RabbitMQ, real swtpm instances, the registrar and the verifier as
/// processes, agents as processes (<c>kcrypt-push-agent run</c> under a stand-in for systemd) or,
/// for the forged key combination, in-process with a test-side TPM seam.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ConcurrentEnrolmentTests(EnrolmentClassFixture f) : IClassFixture<EnrolmentClassFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Three_agents_on_three_TPMs_enrol_concurrently_and_registrar_and_verifier_hold_each_EK_and_AK()
    {
        SwtpmInstance[] tpms = [f.Tpms[0], f.Tpms[1], f.Tpms[2]];
        var listeners = tpms.Select(_ => new SystemdNotifyListener()).ToArray();
        var agents = new ServiceProcess[tpms.Length];
        try
        {
            for (int i = 0; i < tpms.Length; i++)
            {
                agents[i] = ServiceProcess.Start($"agent{i}", SystemdNotifyListener.ShellNamedSystemd,
                    SystemdNotifyListener.ShellArguments("dotnet", KcryptPushBinaries.Agent, "run", "--broker", f.Broker.Uri, "--tpm", tpms[i].TpmUri),
                    new Dictionary<string, string?>
                    {
                        ["NOTIFY_SOCKET"] = listeners[i].SocketPath,
                        ["WATCHDOG_USEC"] = "1000000",
                        ["KCRYPTPUSH_Agent__Hostname"] = $"node-{i}",
                        ["KCRYPTPUSH_TPM"] = null,
                        ["KCRYPTPUSH_EK"] = null,
                    });
            }

            // systemd hears READY=1 from each agent: the host reports it only after enrolment.
            await Task.WhenAll(listeners.Select(l => l.WaitForAsync("READY=1", Patience)));

            JsonElement[] listed = f.Services.RegistrarNodes();
            for (int i = 0; i < tpms.Length; i++)
            {
                TpmKeys keys = TpmKeys.Read(tpms[i]);
                List<string> lines = [.. listeners[i].Lines];
                Assert.Equal("STATUS=enrolling with the registrar", lines[0]);
                Assert.True(lines.IndexOf("READY=1") > lines.IndexOf($"STATUS=enrolled as {keys.TpmHash}"), string.Join(" | ", lines));
                Assert.Contains($"Enrolled {keys.TpmHash} as node-{i}", agents[i].Output, StringComparison.Ordinal);

                // nodes list --json (DESIGN.md: at least tpmHash, hostname, state).
                JsonElement row = Assert.Single(listed, n => n.GetProperty("tpmHash").GetString() == keys.TpmHash);
                Assert.Equal("enrolled", row.GetProperty("state").GetString());
                Assert.Equal($"node-{i}", row.GetProperty("hostname").GetString());
                Assert.Equal(Convert.ToHexStringLower(keys.AkName), row.GetProperty("akName").GetString());

                JsonElement registrar = f.Services.RegistrarNode(keys.TpmHash) ?? throw new InvalidOperationException("registrar lost the node");
                Assert.Equal(keys.EkPublic, Convert.FromBase64String(registrar.GetProperty("ekPublic").GetString()!));
                Assert.Equal(keys.AkPublic, Convert.FromBase64String(registrar.GetProperty("akPublic").GetString()!));
                Assert.Equal("ek-certificate", registrar.GetProperty("ekTrust").GetString());

                JsonElement verifier = await f.Services.WaitForVerifierNodeAsync(keys.TpmHash, Patience);
                Assert.Equal(keys.EkPublic, Convert.FromBase64String(verifier.GetProperty("ekPublic").GetString()!));
                Assert.Equal(keys.AkPublic, Convert.FromBase64String(verifier.GetProperty("akPublic").GetString()!));
                Assert.Equal(Convert.ToHexStringLower(keys.AkName), verifier.GetProperty("akName").GetString());
                Assert.Equal($"node-{i}", verifier.GetProperty("hostname").GetString());
            }

            Assert.Equal(3, listed.Select(n => n.GetProperty("tpmHash").GetString()).Intersect(tpms.Select(TpmKeys.HashOf)).Count());

            // After enrolment, run stays alive and pings the watchdog (half of WATCHDOG_USEC).
            await Task.WhenAll(listeners.Select(l => l.WaitForAsync("WATCHDOG=1", TimeSpan.FromSeconds(10), count: 2)));
            Assert.All(agents, a => Assert.False(a.HasExited, a.Output));
        }
        finally
        {
            foreach (ServiceProcess? agent in agents)
            {
                if (agent is not null)
                {
                    agent.Terminate(pid: ChildOf(agent.Pid));
                    agent.Dispose();
                }
            }

            foreach (SystemdNotifyListener l in listeners)
            {
                l.Dispose();
            }
        }
    }

    [Fact]
    public async Task An_agent_presenting_another_TPMs_AK_with_its_EK_fails_activation_and_is_not_enrolled()
    {
        SwtpmInstance ekTpm = f.Tpms[3], akTpm = f.Tpms[4];
        var forged = new ForeignAkAgentTpm(new TpmAgentTpm(ekTpm.TpmUri, EkKind.Rsa2048, AkKind.Rsa2048), new TpmAgentTpm(akTpm.TpmUri, EkKind.Rsa2048, AkKind.Rsa2048));
        using IHost host = AgentHost.Build(
            new Dictionary<string, string?>
            {
                ["Broker:Uri"] = f.Broker.Uri,
                ["Agent:Tpm"] = ekTpm.TpmUri,
                ["Agent:Hostname"] = "forged",
                ["Agent:RetryMinDelay"] = "00:00:00.200",
            },
            runService: false,
            environment: new Dictionary<string, string?>(),
            configure: s => s.AddSingleton<IAgentTpm>(forged),
            logging: l => l.ClearProviders());
        await host.StartAsync();
        EnrolmentResult result;
        try
        {
            result = await host.Services.GetRequiredService<Enroller>().EnrolAsync(CancellationToken.None, Patience);
        }
        finally
        {
            await host.StopAsync();
        }

        // The TPM holding the EK cannot recover a credential bound to the foreign AK's Name.
        Assert.NotNull(forged.ActivationError);
        Assert.Equal(EnrolmentStatus.Rejected, result.Status);
        Assert.Equal(EnrolmentRejectionReasons.ProofInvalid, result.Rejection!.ReasonCode);
        Assert.False(string.IsNullOrWhiteSpace(result.Rejection.Message));

        string hash = forged.Identity!.TpmHash;
        JsonElement? registrar = f.Services.RegistrarNode(hash);
        if (registrar is { } node)
        {
            Assert.NotEqual("enrolled", node.GetProperty("state").GetString());
            Assert.Contains(node.GetProperty("audit").EnumerateArray(), a => a.GetProperty("reasonCode").GetString() == EnrolmentRejectionReasons.ProofInvalid);
        }

        Assert.DoesNotContain(f.Services.RegistrarNodes(), n => n.GetProperty("tpmHash").GetString() == hash && n.GetProperty("state").GetString() == "enrolled");
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.DoesNotContain(f.Services.VerifierNodes(), n => n.GetProperty("tpmHash").GetString() == hash);

        // The honest agent of that TPM still enrols with its own AK afterwards.
        ProcessResult honest = ProcessRunner.Run("dotnet", [KcryptPushBinaries.Agent, "enroll", "--broker", f.Broker.Uri, "--tpm", ekTpm.TpmUri, "--timeout", "60s"]);
        Assert.True(honest.ExitCode == 0, honest.StdErr);
        TpmKeys own = TpmKeys.Read(ekTpm, crossCheckWithTpm2Tools: false);
        JsonElement verifier = await f.Services.WaitForVerifierNodeAsync(hash, Patience);
        Assert.Equal(Convert.ToHexStringLower(own.AkName), verifier.GetProperty("akName").GetString());
        Assert.NotEqual(Convert.ToHexStringLower(forged.Identity.AkName), verifier.GetProperty("akName").GetString());
    }

    [Fact]
    public async Task Run_exits_1_without_READY_when_the_registrar_rejects_the_node()
    {
        // swtpm_setup certifies the RSA and P-384 EKs only: the P-256 EK has no certificate.
        using var listener = new SystemdNotifyListener();
        using ServiceProcess agent = ServiceProcess.Start("rejected-agent", SystemdNotifyListener.ShellNamedSystemd,
            SystemdNotifyListener.ShellArguments("dotnet", KcryptPushBinaries.Agent, "run", "--broker", f.Broker.Uri, "--tpm", f.Tpms[3].TpmUri, "--ek", "ecc"),
            new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = listener.SocketPath });

        int exit = await agent.WaitForExitAsync(Patience);

        Assert.Equal(1, exit);
        Assert.Contains($"kcrypt-push-agent: enrolment rejected ({EnrolmentRejectionReasons.EkCertificateMissing})", agent.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("READY=1", listener.Lines);
        Assert.Contains("STATUS=enrolling with the registrar", listener.Lines);
    }

    /// <summary>The first child of <paramref name="pid"/> (the agent under the stand-in systemd shell).</summary>
    private static int? ChildOf(int pid)
    {
        string path = $"/proc/{pid}/task/{pid}/children";
        string text = File.Exists(path) ? File.ReadAllText(path).Trim() : string.Empty;
        return text.Length > 0 && int.TryParse(text.Split(' ')[0], out int child) ? child : null;
    }
}
