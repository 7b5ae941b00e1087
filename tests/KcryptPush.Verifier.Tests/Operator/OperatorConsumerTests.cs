using System.Text;
using System.Text.Json;
using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Operator;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Verifier.Tests.Operator;

/// <summary>Each operator consumer's effect on a real verifier.db, its audit entry and its error codes.</summary>
[Trait("Category", "Unit")]
public sealed class OperatorConsumerTests : IAsyncLifetime
{
    private const string Alice = "alice";

    // Audited under the broker user of the request, --operator only as a comment.
    private static readonly string AliceActor = OperatorActor.Of(OperatorHarness.BrokerUser, Alice);
    private static readonly string BobActor = OperatorActor.Of(OperatorHarness.BrokerUser, "bob");
    private OperatorHarness _h = null!;

    public async Task InitializeAsync() => _h = await OperatorHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task List_returns_enrolled_nodes_and_attestation_only_records_ordered_with_their_state()
    {
        string a = _h.Enrol("alpha");
        string b = _h.Enrol("beta");
        string provisioned = OperatorHarness.NewHash();
        _h.Store.SetPcrPolicy(provisioned, "sha256", 0, PolicyModes.Learn, null, Alice, _h.Now);
        NodeAttestation rec = _h.Store.GetOrNew(b, _h.Now);
        rec.State = NodeStates.Trusted;
        rec.LastVerdict = AttestationVerdicts.Pass;
        rec.LastAttestationAt = _h.Now;
        _h.Store.Save(rec);

        NodeList list = await _h.Ask<ListNodes, NodeList>(new ListNodes());

        Assert.Equal(new[] { a, b, provisioned }.Order(StringComparer.Ordinal), list.Nodes.Select(n => n.TpmHash));
        NodeSummary alpha = list.Nodes.Single(n => n.TpmHash == a);
        Assert.Equal(("alpha", NodeStates.Pending, (string?)null), (alpha.Hostname, alpha.State, alpha.LastVerdict));
        NodeSummary beta = list.Nodes.Single(n => n.TpmHash == b);
        Assert.Equal(("beta", NodeStates.Trusted, AttestationVerdicts.Pass), (beta.Hostname, beta.State, beta.LastVerdict));
        Assert.Equal(_h.Time.GetUtcNow(), beta.LastAttestationAt);
        Assert.Equal("", list.Nodes.Single(n => n.TpmHash == provisioned).Hostname);
    }

    [Fact]
    public async Task Show_answers_unknown_and_malformed_hashes_with_codes()
    {
        (NodeDetails? details, OperatorCommandResult? unknown) = await _h.Show(OperatorHarness.NewHash());
        Assert.Null(details);
        Assert.Equal((false, OperatorResults.NodeUnknown), (unknown!.Succeeded, unknown.Code));

        (_, OperatorCommandResult? bad) = await _h.Show("ABC");
        Assert.Equal(OperatorResults.Invalid, bad!.Code);
    }

    [Fact]
    public async Task Show_gives_policy_state_history_audit_and_secret_labels_but_never_a_secret_value()
    {
        string hash = _h.Enrol("gamma");
        string value = new('a', 64);
        await _h.Command(new SetPcrPolicy(hash, "sha256", 7, PolicyModes.Enforce, value, Alice));
        await _h.Command(new SetPcrPolicy(hash, "sha1", 0, PolicyModes.Learn, null, Alice));
        await _h.Command(SecretTransport.Seal(_h.Key.PublicKey, hash, "COS_PERSISTENT", "hunter2-passphrase"u8, Alice));
        _h.Store.AddHistory(new HistoryRecord
        {
            TpmHash = hash, At = _h.Now, Verdict = AttestationVerdicts.Fail, Codes = [AttestationReasonCodes.PcrPolicyViolation],
            Messages = ["PCR sha256:7 differs"], ResetCount = 3, Clock = 1234,
        });

        (NodeDetails? d, _) = await _h.Show(hash);

        Assert.NotNull(d);
        Assert.Equal(("gamma", NodeStates.Pending, NodeOperations.AkTofu), (d.Hostname, d.State, d.AkMode));
        Assert.Equal(Convert.ToHexStringLower(_h.Nodes.Find(hash)!.AkName), d.AkName);
        Assert.Equal([new PcrPolicyEntry("sha1", 0, PolicyModes.Learn, null), new PcrPolicyEntry("sha256", 7, PolicyModes.Enforce, value)], d.PcrPolicy);
        Assert.Equal(["COS_PERSISTENT"], d.SecretLabels);
        AttestationRecord h = Assert.Single(d.History);
        Assert.Equal((AttestationVerdicts.Fail, 3u, 1234ul), (h.Verdict, h.ResetCount, h.Clock));
        Assert.Equal(new AttestationReason(AttestationReasonCodes.PcrPolicyViolation, "PCR sha256:7 differs"), Assert.Single(h.Reasons));
        Assert.Contains(d.Audit, a => a.Actor == AliceActor && a.What == "pcr sha256:7" && a.NewValue == value);
        Assert.Contains(d.Audit, a => a.Actor == AliceActor && a.What == "secret COS_PERSISTENT");
        Assert.Contains(d.Audit, a => a.Actor == "registrar" && a.What == "enrolled");
        Assert.DoesNotContain("hunter2", JsonSerializer.Serialize(d), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Set_pcr_enforce_learn_skip_change_the_policy_and_are_audited_with_the_operator()
    {
        string hash = _h.Enrol();
        string upper = new('A', 64);

        Assert.True((await _h.Command(new SetPcrPolicy(hash, "sha256", 7, PolicyModes.Enforce, upper, Alice))).Succeeded);
        Assert.Equal(upper.ToLowerInvariant(), Entry(hash, "sha256", 7)!.Value);
        AuditRecord set = _h.Store.Audit(hash, 1)[0];
        Assert.Equal((AliceActor, "pcr sha256:7", PolicyModes.Skip, upper.ToLowerInvariant()), (set.Actor, set.What, set.OldValue, set.NewValue));

        Assert.True((await _h.Command(new SetPcrPolicy(hash, "sha256", 7, PolicyModes.Learn, null, "bob"))).Succeeded);
        Assert.Equal(PolicyModes.Learn, Entry(hash, "sha256", 7)!.Mode);
        AuditRecord learn = _h.Store.Audit(hash, 1)[0];
        Assert.Equal((BobActor, upper.ToLowerInvariant()), (learn.Actor, learn.OldValue));

        Assert.True((await _h.Command(new SetPcrPolicy(hash, "sha256", 7, PolicyModes.Skip, null, Alice))).Succeeded);
        Assert.Equal(PolicyModes.Skip, Entry(hash, "sha256", 7)!.Mode);   // kept as an explicit skip, so TOFU does not learn it
        Assert.Equal("(skip)", _h.Store.Audit(hash, 1)[0].NewValue);
    }

    [Theory]
    [InlineData("sha256", 7, "enforce", "abcd", "64 hex digits")]
    [InlineData("sha1", 7, "enforce", "0000000000000000000000000000000000000000000000000000000000000000", "40 hex digits")]
    [InlineData("sha384", 0, "enforce", "zz00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000", "96 hex digits")]
    [InlineData("md5", 7, "enforce", "00", "unknown PCR bank")]
    [InlineData("sha256", 24, "learn", null, "outside 0..23")]
    [InlineData("sha256", -1, "skip", null, "outside 0..23")]
    [InlineData("sha256", 7, "learn", "00", "takes no value")]
    [InlineData("sha256", 7, "tofu", null, "enforce, learn or skip")]
    public async Task Set_pcr_refuses_bad_input_as_invalid_and_changes_nothing(string bank, int index, string mode, string? value, string why)
    {
        string hash = _h.Enrol();
        OperatorCommandResult r = await _h.Command(new SetPcrPolicy(hash, bank, index, mode, value, Alice));
        Assert.Equal((false, OperatorResults.Invalid), (r.Succeeded, r.Code));
        Assert.Contains(why, r.Message, StringComparison.Ordinal);
        Assert.Null(_h.Store.Find(hash));
        Assert.Empty(_h.Store.Audit(hash));
    }

    [Fact]
    public async Task Commands_on_an_unknown_node_answer_node_unknown_and_store_nothing()
    {
        string hash = OperatorHarness.NewHash();
        OperatorCommandResult[] results =
        [
            await _h.Command(new SetPcrPolicy(hash, "sha256", 0, PolicyModes.Learn, null, Alice)),
            await _h.Command(new SetAkPolicy(hash, PolicyModes.Learn, Alice)),
            await _h.Command(new QuarantineNode(hash, "stolen", Alice)),
            await _h.Command(new ReleaseNode(hash, Alice)),
            await _h.Command(new DeleteNode(hash, Alice)),
        ];

        Assert.All(results, r => Assert.Equal((false, OperatorResults.NodeUnknown), (r.Succeeded, r.Code)));
        Assert.Null(_h.Store.Find(hash));
        Assert.Empty(_h.Store.SecretLabels(hash));
        Assert.Empty(_h.Store.Audit(hash));
    }

    [Fact]
    public async Task A_secret_can_be_provisioned_by_tpm_hash_before_the_node_enrols()
    {
        string hash = OperatorHarness.NewHash();

        OperatorCommandResult r = await _h.Command(SecretTransport.Seal(_h.Key.PublicKey, hash, "COS_PERSISTENT", "early"u8, Alice));

        Assert.True(r.Succeeded, r.Message);
        Assert.Contains("not enrolled yet", r.Message, StringComparison.Ordinal);
        Assert.Equal("early"u8.ToArray(), _h.Store.OpenSecret(hash, "COS_PERSISTENT"));
        NodeAttestation rec = _h.Store.Find(hash)!;
        Assert.Equal((NodeStates.Pending, null, null), (rec.State, rec.AkMode, rec.Pcrs));
        Assert.Contains(_h.Operations.List().Nodes, n => n.TpmHash == hash && n.State == NodeStates.Pending);
        (NodeDetails? shown, _) = await _h.Show(hash);
        Assert.Equal(["COS_PERSISTENT"], shown!.SecretLabels);
        Assert.Contains(_h.Store.Audit(hash), a => (a.Actor, a.What) == (AliceActor, "secret COS_PERSISTENT"));

        // Enrolling later changes nothing of it; delete forgets it like any node.
        _h.Enrol(tpmHash: hash);
        Assert.Equal("early"u8.ToArray(), _h.Store.OpenSecret(hash, "COS_PERSISTENT"));
        Assert.True((await _h.Command(new DeleteNode(hash, Alice))).Succeeded);
        Assert.Empty(_h.Store.SecretLabels(hash));
    }

    [Fact]
    public async Task Malformed_hash_or_missing_operator_is_invalid()
    {
        string hash = _h.Enrol();
        Assert.Equal(OperatorResults.Invalid, (await _h.Command(new ReleaseNode(hash.ToUpperInvariant(), Alice))).Code);
        Assert.Equal(OperatorResults.Invalid, (await _h.Command(new DeleteNode(hash[..63], Alice))).Code);
        Assert.Equal(OperatorResults.Invalid, (await _h.Command(new DeleteNode(hash, " "))).Code);
        Assert.NotNull(_h.Nodes.Find(hash));
    }

    [Fact]
    public async Task Set_ak_learn_skip_enforce_and_enforce_pins_the_enrolled_ak_when_none_is_on_record()
    {
        string hash = _h.Enrol();
        byte[] enrolled = _h.Nodes.Find(hash)!.AkName;

        Assert.True((await _h.Command(new SetAkPolicy(hash, PolicyModes.Enforce, Alice))).Succeeded);
        NodeAttestation rec = _h.Store.Find(hash)!;
        Assert.Equal(PolicyModes.Enforce, rec.AkMode);
        Assert.Equal(enrolled, rec.AkName);
        Assert.Contains(_h.Store.Audit(hash), a => (a.Actor, a.What, a.OldValue, a.NewValue) == (AliceActor, "ak policy", "none", PolicyModes.Enforce));

        Assert.True((await _h.Command(new SetAkPolicy(hash, PolicyModes.Learn, "bob"))).Succeeded);
        Assert.Equal(PolicyModes.Learn, _h.Store.Find(hash)!.AkMode);
        Assert.Equal((BobActor, PolicyModes.Enforce, PolicyModes.Learn), (_h.Store.Audit(hash, 1)[0].Actor, _h.Store.Audit(hash, 1)[0].OldValue, _h.Store.Audit(hash, 1)[0].NewValue));

        Assert.True((await _h.Command(new SetAkPolicy(hash, PolicyModes.Skip, Alice))).Succeeded);
        Assert.Equal(PolicyModes.Skip, _h.Store.Find(hash)!.AkMode);

        OperatorCommandResult bad = await _h.Command(new SetAkPolicy(hash, "", Alice));
        Assert.Equal(OperatorResults.Invalid, bad.Code);
        Assert.Equal(PolicyModes.Skip, _h.Store.Find(hash)!.AkMode);
    }

    [Fact]
    public async Task Set_secret_decrypts_with_the_verifier_key_stores_the_value_and_audits_only_the_label()
    {
        string hash = _h.Enrol();
        OperatorCommandResult r = await _h.Command(SecretTransport.Seal(_h.Key.PublicKey, hash, "COS_PERSISTENT", Encoding.UTF8.GetBytes("pässphrase 1"), Alice));

        Assert.True(r.Succeeded, r.Message);
        Assert.Equal("pässphrase 1", Encoding.UTF8.GetString(_h.Store.OpenSecret(hash, "COS_PERSISTENT")!));
        AuditRecord audit = _h.Store.Audit(hash, 1)[0];
        Assert.Equal((AliceActor, "secret COS_PERSISTENT", (string?)null, "set"), (audit.Actor, audit.What, audit.OldValue, audit.NewValue));
        Assert.DoesNotContain(_h.Store.Audit(hash), a => (a.OldValue + a.NewValue + a.What).Contains("pässphrase", StringComparison.Ordinal));

        await _h.Command(SecretTransport.Seal(_h.Key.PublicKey, hash, "COS_PERSISTENT", "second"u8, "bob"));
        Assert.Equal("second", Encoding.UTF8.GetString(_h.Store.OpenSecret(hash, "COS_PERSISTENT")!));
        Assert.Equal((BobActor, "set"), (_h.Store.Audit(hash, 1)[0].Actor, _h.Store.Audit(hash, 1)[0].OldValue));
    }

    [Fact]
    public async Task Set_secret_refuses_tampering_a_moved_ciphertext_another_key_and_an_empty_passphrase()
    {
        string hash = _h.Enrol();
        string other = _h.Enrol();
        SetSecret good = SecretTransport.Seal(_h.Key.PublicKey, hash, "L", "secret"u8, Alice);
        byte[] flipped = (byte[])good.Ciphertext.Clone();
        flipped[0] ^= 1;
        using var stranger = System.Security.Cryptography.ECDiffieHellman.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);

        SetSecret[] bad =
        [
            good with { Ciphertext = flipped },
            good with { Tag = [.. good.Tag[..^1], (byte)(good.Tag[^1] ^ 1)] },
            good with { TpmHash = other },
            good with { Label = "M" },
            good with { Nonce = good.Nonce[..8] },
            good with { EphemeralPublicKey = [1, 2, 3] },
            SecretTransport.Seal(stranger.ExportSubjectPublicKeyInfo(), hash, "L", "secret"u8, Alice),
            SecretTransport.Seal(_h.Key.PublicKey, hash, "L", ""u8, Alice),
        ];

        foreach (SetSecret m in bad)
        {
            OperatorCommandResult r = await _h.Command(m);
            Assert.Equal((false, OperatorResults.Invalid), (r.Succeeded, r.Code));
        }

        Assert.Empty(_h.Store.SecretLabels(hash));
        Assert.Empty(_h.Store.SecretLabels(other));
        Assert.True((await _h.Command(good)).Succeeded);
        Assert.Equal("secret"u8.ToArray(), _h.Store.OpenSecret(hash, "L")!);
    }

    [Fact]
    public async Task Get_secret_key_answers_the_persisted_public_key()
    {
        SecretKey key = await _h.Ask<GetSecretKey, SecretKey>(new GetSecretKey());
        Assert.Equal(_h.Key.PublicKey, key.PublicKey);
        using var again = SecretTransportKey.LoadOrCreate(SecretTransportKey.PathBeside(_h.DbPath));
        Assert.Equal(key.PublicKey, again.PublicKey);
    }

    [Fact]
    public async Task Quarantine_changes_state_publishes_operator_quarantine_once_and_audits_reason_and_operator()
    {
        string hash = _h.Enrol("delta");
        NodeAttestation rec = _h.Store.GetOrNew(hash, _h.Now);
        rec.State = NodeStates.Trusted;
        _h.Store.Save(rec);

        OperatorCommandResult r = await _h.Command(new QuarantineNode(hash, "disk stolen", Alice));

        Assert.True(r.Succeeded, r.Message);
        Assert.Equal(NodeStates.Quarantined, _h.Store.Find(hash)!.State);
        Assert.True(await _h.Harness.Published.Any<NodeQuarantined>());
        NodeQuarantined q = _h.Harness.Published.Select<NodeQuarantined>().Single().Context.Message;
        Assert.Equal((hash, "delta", NodeStates.Trusted), (q.TpmHash, q.Hostname, q.PreviousState));
        Assert.Equal([AttestationReasonCodes.OperatorQuarantine], q.ReasonCodes);
        Assert.Contains("disk stolen", Assert.Single(q.Reasons).Message, StringComparison.Ordinal);
        Assert.Contains(_h.Store.Audit(hash), a => (a.Actor, a.What, a.OldValue, a.NewValue) == (AliceActor, "state", NodeStates.Trusted, NodeStates.Quarantined));
        Assert.Contains(_h.Store.Audit(hash), a => (a.Actor, a.What, a.NewValue) == (AliceActor, AttestationReasonCodes.OperatorQuarantine, "disk stolen"));

        int audits = _h.Store.Audit(hash).Count;
        OperatorCommandResult again = await _h.Command(new QuarantineNode(hash, "still stolen", "bob"));
        Assert.True(again.Succeeded);
        Assert.Equal(audits, _h.Store.Audit(hash).Count);
        Assert.Single(_h.Harness.Published.Select<NodeQuarantined>());

        Assert.Equal(OperatorResults.Invalid, (await _h.Command(new QuarantineNode(hash, "  ", Alice))).Code);
    }

    [Fact]
    public async Task Release_moves_quarantined_to_pending_and_leaves_other_states_alone()
    {
        string hash = _h.Enrol();
        await _h.Command(new QuarantineNode(hash, "check", Alice));

        Assert.True((await _h.Command(new ReleaseNode(hash, "bob"))).Succeeded);
        Assert.Equal(NodeStates.Pending, _h.Store.Find(hash)!.State);
        AuditRecord a = _h.Store.Audit(hash, 1)[0];
        Assert.Equal((BobActor, "state", NodeStates.Quarantined, NodeStates.Pending), (a.Actor, a.What, a.OldValue, a.NewValue));

        // Alerting hears of it: who released, what the hold was, the state before.
        Assert.True(await _h.Harness.Published.Any<NodeReleased>());
        NodeReleased released = Assert.Single(_h.Harness.Published.Select<NodeReleased>()).Context.Message;
        Assert.Equal((hash, BobActor, $"{AliceActor}: check", NodeStates.Quarantined, NodeStates.Pending),
            (released.TpmHash, released.Operator, released.HeldFor, released.PreviousState, released.State));

        NodeAttestation rec = _h.Store.Find(hash)!;
        rec.State = NodeStates.Trusted;
        _h.Store.Save(rec);
        OperatorCommandResult r = await _h.Command(new ReleaseNode(hash, "bob"));
        Assert.True(r.Succeeded);
        Assert.Contains("nothing changed", r.Message, StringComparison.Ordinal);
        Assert.Equal(NodeStates.Trusted, _h.Store.Find(hash)!.State);
        Assert.Single(_h.Harness.Published.Select<NodeReleased>());
        Assert.Empty(_h.Store.Find(hash)!.PendingVerdicts);
    }

    [Fact]
    public async Task A_terminated_node_is_neither_quarantined_nor_released_by_an_operator()
    {
        // Terminated is final (NodeStateMachine): a release after a quarantine would otherwise make a
        // node that spent its attestation budget Pending, and able to attest again.
        string hash = _h.Enrol();
        NodeAttestation rec = _h.Store.GetOrNew(hash, _h.Now);
        rec.State = NodeStates.Terminated;
        _h.Store.Save(rec);
        int audits = _h.Store.Audit(hash).Count;

        OperatorCommandResult quarantine = await _h.Command(new QuarantineNode(hash, "check", Alice));
        OperatorCommandResult release = await _h.Command(new ReleaseNode(hash, Alice));

        Assert.True(quarantine.Succeeded, quarantine.Message);
        Assert.Contains("nothing changed", quarantine.Message, StringComparison.Ordinal);
        Assert.Contains("nothing changed", release.Message, StringComparison.Ordinal);
        NodeAttestation after = _h.Store.Find(hash)!;
        Assert.Equal((NodeStates.Terminated, (string?)null), (after.State, after.OperatorQuarantine));
        Assert.Empty(after.PendingVerdicts);
        Assert.Equal(audits, _h.Store.Audit(hash).Count);
    }

    [Fact]
    public async Task Delete_forgets_enrolment_policy_secrets_and_history_but_keeps_the_audit()
    {
        string hash = _h.Enrol();
        string kept = _h.Enrol();
        await _h.Command(new SetPcrPolicy(hash, "sha256", 0, PolicyModes.Learn, null, Alice));
        await _h.Command(SecretTransport.Seal(_h.Key.PublicKey, hash, "L", "s"u8, Alice));

        Assert.True((await _h.Command(new DeleteNode(hash, "carol"))).Succeeded);

        Assert.Null(_h.Nodes.Find(hash));
        Assert.Null(_h.Store.Find(hash));
        Assert.Empty(_h.Store.SecretLabels(hash));
        Assert.Equal([kept], (await _h.Ask<ListNodes, NodeList>(new ListNodes())).Nodes.Select(n => n.TpmHash));
        Assert.Contains(_h.Store.Audit(hash), a => (a.Actor, a.What, a.NewValue) == (OperatorActor.Of(OperatorHarness.BrokerUser, "carol"), "node", "deleted"));
        Assert.Equal(OperatorResults.NodeUnknown, (await _h.Command(new DeleteNode(hash, "carol"))).Code);
        Assert.NotNull(_h.Nodes.Find(kept));
    }

    private PcrPolicyRecord? Entry(string hash, string bank, int index) =>
        _h.Store.Find(hash)?.Pcrs?.SingleOrDefault(p => p.Bank == bank && p.Index == index);
}
