using System.Text.Json;
using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Attestation;
using KcryptPush.Verifier.Store;
using KcryptPush.Verifier.Verdicts;

namespace KcryptPush.Verifier.Tests;

/// <summary>Verdict events are saved in the node's record with the state change they report.</summary>
[Trait("Category", "Unit")]
public sealed class VerdictOutboxTests : IDisposable
{
    private readonly PipelineHarness _h = new(new VerifierOptions { Interval = TimeSpan.FromSeconds(10), SilentIntervals = 5 });

    public void Dispose() => _h.Dispose();

    [Fact]
    public void A_state_change_is_saved_with_its_verdict_event_and_a_steady_pass_adds_none()
    {
        AttestationOutcome first = _h.Attest();

        PendingVerdict pending = Assert.Single(_h.Record.PendingVerdicts);
        Assert.Equal(nameof(NodeTrusted), pending.Type);
        Assert.Equal(NodeStates.Trusted, _h.Record.State);
        Assert.Equal(JsonOf(first.Verdict!), JsonOf(VerdictOutbox.Read(pending)));

        AttestationOutcome steady = _h.Attest(withLog: false);
        Assert.Null(steady.Verdict);
        Assert.Equal(pending.Id, Assert.Single(_h.Record.PendingVerdicts).Id);
    }

    [Fact]
    public void A_quarantine_and_a_silence_queue_up_behind_earlier_events_in_order()
    {
        _h.Attest();
        _h.Store.SetPcrPolicy(_h.TpmHash, "sha256", 4, PolicyModes.Enforce, new string('0', 64), "alice", _h.Now);
        AttestationOutcome failed = _h.Attest(withLog: false);
        Assert.IsType<NodeQuarantined>(failed.Verdict);
        _h.Time.Advance(TimeSpan.FromMinutes(10));
        NodeSilent silent = Assert.Single(new SilenceDetector(_h.Store, _h.Options, _h.Time).Scan());

        List<PendingVerdict> pending = _h.Record.PendingVerdicts;
        Assert.Equal([nameof(NodeTrusted), nameof(NodeQuarantined), nameof(NodeSilent)], pending.Select(p => p.Type));
        Assert.Equal(JsonOf(failed.Verdict!), JsonOf(VerdictOutbox.Read(pending[1])));
        Assert.Equal(JsonOf(silent), JsonOf(VerdictOutbox.Read(pending[2])));
        Assert.Equal(3, pending.Select(p => p.Id).Distinct().Count());
    }

    [Fact]
    public void Every_verdict_type_reads_back_as_it_was_staged()
    {
        var at = new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
        INodeVerdict[] verdicts =
        [
            new NodeTrusted(_h.TpmHash, "n1", NodeStates.Pending, at),
            new NodeQuarantined(_h.TpmHash, "n1", ["pcr-policy-violation"], [new AttestationReason("pcr-policy-violation", "PCR 7 ü")],
                [new PcrMismatch("sha256", 7, "aa", "bb")], new BrokenEvent(12, 7, "EV_EFI_VARIABLE_DRIVER_CONFIG", "db"), NodeStates.Trusted, at),
            new NodeSilent(_h.TpmHash, "n1", null, 7, NodeStates.Trusted, at),
            new NodeSilent(_h.TpmHash, "n1", at.AddMinutes(-3), 7, NodeStates.Trusted, at),
            new NodeTerminated(_h.TpmHash, "n1", 42, NodeStates.Trusted, at),
            new NodeReleased(_h.TpmHash, "n1", "bob", "alice: disk stolen", NodeStates.Quarantined, at),
            new NodeReleased(_h.TpmHash, "n1", "bob", null, NodeStates.Quarantined, at),
        ];
        var record = new NodeAttestation { TpmHash = _h.TpmHash };

        foreach (INodeVerdict v in verdicts)
        {
            VerdictOutbox.Stage(record, v, at.UtcDateTime);
        }

        Assert.Equal(verdicts.Select(JsonOf), record.PendingVerdicts.Select(p => JsonOf(VerdictOutbox.Read(p))));
        Assert.Equal(verdicts.Select(v => v.GetType()), record.PendingVerdicts.Select(p => VerdictOutbox.Read(p).GetType()));
    }

    [Fact]
    public void An_unknown_type_or_json_that_does_not_read_is_a_typed_error()
    {
        Assert.Throws<InvalidDataException>(() => VerdictOutbox.Read(new PendingVerdict { Type = "NodeExploded", Json = "{}" }));
        Assert.Throws<InvalidDataException>(() => VerdictOutbox.Read(new PendingVerdict { Type = nameof(NodeTrusted), Json = "{\"tpmHash\": " }));
        Assert.Throws<InvalidDataException>(() => VerdictOutbox.Read(new PendingVerdict { Type = nameof(NodeTrusted), Json = "null" }));
    }

    [Fact]
    public void A_verdict_about_another_node_is_not_staged_in_this_record()
    {
        var record = new NodeAttestation { TpmHash = _h.TpmHash };
        var other = new NodeTrusted(new string('0', 64), "n2", NodeStates.Pending, DateTimeOffset.UtcNow);

        Assert.Throws<ArgumentException>(() => VerdictOutbox.Stage(record, other, DateTime.UtcNow));
        Assert.Empty(record.PendingVerdicts);
    }

    private static string JsonOf(INodeVerdict v) => JsonSerializer.Serialize(v, v.GetType());
}
