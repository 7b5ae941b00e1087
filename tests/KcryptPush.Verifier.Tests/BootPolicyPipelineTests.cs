using System.Text;
using KcryptPush.Attestation.BootPolicy;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Contracts.V1;
using KcryptPush.Tpm.Structures;
using KcryptPush.Verifier.Attestation;
using KcryptPush.Verifier.Operator;
using KcryptPush.Verifier.Policies;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Verifier.Tests;

/// <summary>
/// The measured-boot policy on every attestation through the verifier pipeline: signed quotes of the PCR
/// values a TPM that measured the Fedora systemd-boot log (or the same log with another kernel command
/// line) would hold, judged against the fleet default and then the node's own policy.
/// </summary>
[Trait("Category", "Unit")]
public sealed class BootPolicyPipelineTests : IDisposable
{
    private const string Fedora = "qemu-fedora37-sdboot";
    private readonly PipelineHarness _h = new();
    private uint _boots;

    public void Dispose() => _h.Dispose();

    private static byte[] Genuine => File.ReadAllBytes(Path.Combine(RepoPaths.EventLogs, Fedora + ".bin"));

    private static MeasuredBootPolicy FedoraPolicy => BootPolicyFactory.Create(EventLogParser.Parse(Genuine));

    private AttestationPipeline Pipeline(DefaultBootPolicy? fleetDefault) => new(_h.Store, _h.Issuer, _h.Options,
        [new AkPolicy(), fleetDefault is null ? new MeasuredBootNodePolicy() : new MeasuredBootNodePolicy(fleetDefault)], _h.Time);

    /// <summary>A boot (a new resetCount) that measured <paramref name="log"/>, quoted and sent with the log.</summary>
    private AttestationOutcome Boot(AttestationPipeline pipeline, byte[] log)
    {
        _boots++;
        TpmsClockInfo clock = RealEvidence.Clock with { ResetCount = RealEvidence.Clock.ResetCount + _boots, Clock = RealEvidence.Clock.Clock + _boots };
        return pipeline.Evaluate(_h.Quote(_h.Challenge(), log: log, pcrs: BootLogEdits.QuoteOf(log, "sha256")["sha256"], clock: clock));
    }

    private static byte[] OtherCommandLine(out int index)
    {
        byte[] log = Genuine;
        index = EventLogParser.Parse(log).UntrustedEvents.First(e => e.PcrIndex == 12 && e.EventType == TcgEventType.EV_IPL).Index;
        return BootLogEdits.ReplaceText(log, index, "efi=debug", "efi=nodbg", utf16: true);
    }

    [Fact]
    public void The_fleet_default_then_the_nodes_own_policy_judge_every_attestation()
    {
        AttestationPipeline pipeline = Pipeline(new DefaultBootPolicy(FedoraPolicy, "/etc/kcrypt-push/fedora.json", new string('0', 64)));
        byte[] other = OtherCommandLine(out int index);

        // The genuine boot passes the default.
        AttestationOutcome genuine = Boot(pipeline, Genuine);
        Assert.Equal(AttestationVerdicts.Pass, genuine.Result.Verdict);
        Assert.IsType<NodeTrusted>(genuine.Verdict);

        // Another command line: quarantined, the reason naming the rule and the event, the event in the verdict.
        AttestationOutcome changed = Boot(pipeline, other);
        Assert.Equal(AttestationVerdicts.Fail, changed.Result.Verdict);
        AttestationReason reason = Assert.Single(changed.Result.Reasons);
        Assert.Equal(AttestationReasonCodes.BootPolicyViolation, reason.Code);
        Assert.StartsWith("kernel-command-line: expected an allowed kernel command line", reason.Message, StringComparison.Ordinal);
        Assert.Contains("efi=nodbg", reason.Message, StringComparison.Ordinal);
        Assert.Contains($"at event #{index} (PCR 12, EV_IPL", reason.Message, StringComparison.Ordinal);
        Assert.EndsWith("(fleet default boot policy)", reason.Message, StringComparison.Ordinal);
        NodeQuarantined q = Assert.IsType<NodeQuarantined>(changed.Verdict);
        Assert.Equal([AttestationReasonCodes.BootPolicyViolation], q.ReasonCodes);
        Assert.Equal((index, 12u), (q.FirstBrokenEvent!.Index, q.FirstBrokenEvent.Pcr));
        Assert.Equal(NodeStates.Quarantined, _h.Record.State);

        // The node's own policy (made from the boot with the other command line) replaces the default.
        byte[] both = BootLogEdits.ReplaceText(other, index + 1, "efi=debug", "efi=nodbg", utf16: true); // both PCR 12 events
        _h.Store.SetBootPolicy(_h.TpmHash, BootPolicyJson.Write(BootPolicyFactory.Create(EventLogParser.Parse(both))), "alice", _h.Now);
        Assert.Equal(AttestationVerdicts.Pass, Boot(pipeline, both).Result.Verdict);
        AttestationOutcome genuineNow = Boot(pipeline, Genuine);
        Assert.Equal(AttestationVerdicts.Fail, genuineNow.Result.Verdict);
        Assert.All(genuineNow.Result.Reasons, r => Assert.DoesNotContain("fleet default", r.Message, StringComparison.Ordinal));

        // Removed: the default applies again.
        _h.Store.SetBootPolicy(_h.TpmHash, null, "alice", _h.Now);
        Assert.Equal(AttestationVerdicts.Pass, Boot(pipeline, Genuine).Result.Verdict);
    }

    [Fact]
    public void A_log_that_leaves_out_the_command_line_fails_on_the_quote_it_came_with()
    {
        AttestationPipeline pipeline = Pipeline(new DefaultBootPolicy(FedoraPolicy, "/etc/kcrypt-push/fedora.json", new string('0', 64)));
        Assert.Equal(AttestationVerdicts.Pass, Boot(pipeline, Genuine).Result.Verdict);

        // The TPM measured the other command line; the log sent leaves PCR 12's events out. Replay does not object
        // (it checks the PCRs the log extends); the policy does, with its own reason.
        byte[] other = OtherCommandLine(out _);
        byte[] withoutPcr12 = BootLogEdits.Remove(other, e => e.PcrIndex == 12);
        _boots++;
        TpmsClockInfo clock = RealEvidence.Clock with { ResetCount = RealEvidence.Clock.ResetCount + _boots, Clock = RealEvidence.Clock.Clock + _boots };
        AttestationOutcome o = pipeline.Evaluate(_h.Quote(_h.Challenge(), log: withoutPcr12, pcrs: BootLogEdits.QuoteOf(other, "sha256")["sha256"], clock: clock));
        Assert.Equal(AttestationVerdicts.Fail, o.Result.Verdict);
        AttestationReason r = Assert.Single(o.Result.Reasons);
        Assert.Equal(AttestationReasonCodes.BootPolicyViolation, r.Code);
        Assert.StartsWith("PCR sha256:12: the log has no sha256 events for it, but the TPM quoted ", r.Message, StringComparison.Ordinal);
        Assert.Equal(NodeStates.Quarantined, _h.Record.State);
    }

    [Fact]
    public void Without_a_default_a_node_without_its_own_policy_is_not_checked()
    {
        AttestationPipeline pipeline = Pipeline(null);
        Assert.Equal(AttestationVerdicts.Pass, Boot(pipeline, OtherCommandLine(out _)).Result.Verdict);
        _h.Store.SetBootPolicy(_h.TpmHash, BootPolicyJson.Write(FedoraPolicy), "alice", _h.Now);
        AttestationOutcome o = Boot(pipeline, OtherCommandLine(out _));
        Assert.Equal(AttestationVerdicts.Fail, o.Result.Verdict);
        Assert.Equal(AttestationReasonCodes.BootPolicyViolation, Assert.Single(o.Result.Reasons).Code);
    }

    [Fact]
    public void Nodes_show_names_the_fleet_default_and_the_TPM_firmware_of_the_latest_quote()
    {
        var fleet = new DefaultBootPolicy(FedoraPolicy, "/etc/kcrypt-push/fedora.json", new string('0', 64));
        using SecretTransportKey key = SecretTransportKey.LoadOrCreate(SecretTransportKey.PathBeside(_h.DbPath));
        var underFleet = new NodeOperations(_h.Store, key, _h.Time, fleet);
        var noFleet = new NodeOperations(_h.Store, key, _h.Time);

        // Before any quote: no firmware is known, the default already applies.
        NodeDetails before = underFleet.Show(_h.TpmHash)!;
        Assert.Null(before.TpmFirmware);
        Assert.True(before.UnderFleetBootPolicy);

        Assert.Equal(AttestationVerdicts.Pass, Boot(Pipeline(fleet), Genuine).Result.Verdict);
        NodeDetails d = underFleet.Show(_h.TpmHash)!;
        Assert.Equal("20191023.00163636", d.TpmFirmware); // the harness's quotes carry 0x2019102300163636
        Assert.False(d.HasBootPolicy);
        Assert.True(d.UnderFleetBootPolicy);
        Assert.False(noFleet.Show(_h.TpmHash)!.UnderFleetBootPolicy);

        // Its own policy takes the default's place.
        _h.Store.SetBootPolicy(_h.TpmHash, BootPolicyJson.Write(FedoraPolicy), "alice", _h.Now);
        NodeDetails own = underFleet.Show(_h.TpmHash)!;
        Assert.True(own.HasBootPolicy);
        Assert.False(own.UnderFleetBootPolicy);
    }
}
