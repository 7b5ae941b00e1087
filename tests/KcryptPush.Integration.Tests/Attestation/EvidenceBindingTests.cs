using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using KcryptPush.Agent.Attestation;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Contracts.V1;
using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Tpm.Client;
using KcryptPush.Tpm.Release;
using KcryptPush.Tpm.Structures;

namespace KcryptPush.Integration.Tests.Attestation;

/// <summary>
/// Evidence binding (DESIGN.md "Flows"), end to end: what the AK signs covers the PCR values
/// (pcrDigest), the event log (its SHA-256 in extraData) and the release key (its Name in extraData).
/// A copy of a genuine QuoteSubmitted that contradicts any of them, raced to the verifier ahead of the
/// genuine message, is refused with its own reason, gets no next challenge and writes nothing: the
/// genuine message then passes over the same challenge, and the node is never quarantined.
/// </summary>
[Trait("Category", "Integration")]
public sealed class EvidenceBindingTests(BindingClassFixture f) : IClassFixture<BindingClassFixture>
{
    private const string Label = "COS_PERSISTENT";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    // How long a NodeQuarantined that a forgery might have caused is waited for (the outbox publishes
    // within milliseconds of the commit).
    private static readonly TimeSpan QuarantineWait = TimeSpan.FromSeconds(3);

    private static byte[] SharedLog => EvidenceClassFixture.SharedLog;

    [Fact]
    public async Task A_copy_with_one_PCR_value_changed_is_pcr_digest_mismatch_and_the_genuine_message_passes_after_it()
    {
        AttackNode n = f.Nodes[0];
        await TrustedAsync(n);
        QuoteSubmitted genuine = n.Submission(await f.ChallengeAsync(n), SharedLog);

        // PCR 7 (Secure Boot state) of the SHA-256 bank reported as another value; the signed quote untouched.
        PcrBankValues[] changed = [.. genuine.Pcrs.Select(b => new PcrBankValues(b.Bank,
            b.Values.ToDictionary(v => v.Key, v => b.Bank == "sha256" && v.Key == 7 ? SHA256.HashData(v.Value) : v.Value)))];
        Assert.NotEqual(Hex(genuine.Pcrs.Single(b => b.Bank == "sha256").Values[7]), Hex(changed.Single(b => b.Bank == "sha256").Values[7]));

        await RaceAsync(n, genuine, (AttestationReasonCodes.PcrDigestMismatch, genuine with { Pcrs = changed }));
    }

    [Fact]
    public async Task A_copy_with_an_edited_log_is_event_log_digest_mismatch_with_or_without_its_digest_updated()
    {
        AttackNode n = f.Nodes[1];
        await TrustedAsync(n);
        QuoteSubmitted genuine = n.Submission(await f.ChallengeAsync(n), SharedLog);
        (byte[] edited, UntrustedEvent ev) = EventLogSeeder.WithChangedDigest(SharedLog, TcgEventType.EV_EFI_VARIABLE_DRIVER_CONFIG);
        Console.WriteLine($"edited event #{ev.Index} ({ev.TypeName}, PCR {ev.PcrIndex})");

        // The log's bytes changed under the named digest; then the digest updated to the edited log's,
        // which the quote did not sign (it signed the node's last accepted log, so the verifier says so).
        AttestationResult[] refused = await RaceAsync(n, genuine,
            (AttestationReasonCodes.EventLogDigestMismatch, genuine with { EventLog = edited }),
            (AttestationReasonCodes.EventLogDigestMismatch, genuine with { EventLog = edited, EventLogSha256 = SHA256.HashData(edited) }));
        Assert.Contains($"the quote signed event log {Hex(SHA256.HashData(SharedLog))}", refused[1].Reasons[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task On_a_node_with_no_accepted_log_a_copy_with_the_edited_log_and_its_digest_is_nonce_mismatch_and_the_genuine_message_is_its_first_pass()
    {
        AttackNode n = f.Nodes[3];
        Assert.Empty((await f.ShowAsync(n)).History); // the premise: never attested
        QuoteSubmitted genuine = n.Submission(await f.ChallengeAsync(n), SharedLog);
        (byte[] edited, _) = EventLogSeeder.WithChangedDigest(SharedLog, TcgEventType.EV_EFI_BOOT_SERVICES_APPLICATION);

        DateTimeOffset from = DateTimeOffset.UtcNow;
        await RaceAsync(n, genuine, (AttestationReasonCodes.NonceMismatch, genuine with { EventLog = edited, EventLogSha256 = SHA256.HashData(edited) }));

        // The genuine message was the node's first attestation (trust on first use): NodeTrusted from Pending.
        SpiedMessage trusted = await f.Verdicts.WaitForAsync(m => m.Is("NodeTrusted") && Hash(m) == n.TpmHash && m.At >= from, Patience, "NodeTrusted", f.Diagnostics);
        Assert.Equal(NodeStates.Pending, trusted.Message.GetProperty("previousState").GetString());
    }

    [Fact]
    public async Task A_discovery_copy_with_another_release_key_is_nonce_mismatch_and_a_release_key_added_to_a_message_that_signed_none_is_release_key_mismatch()
    {
        AttackNode n = f.Nodes[2];
        AttackNode attacker = f.Nodes[4];
        string passphrase = "binding-" + Guid.NewGuid().ToString("N");
        f.SetSecret(n, Label, passphrase);
        await TrustedAsync(n);

        // A genuine discovery message; the attacker's copy carries a release key of the attacker's own
        // TPM, made from the same template (same policy), so only the Name differs.
        Challenge c1 = await f.ChallengeAsync(n);
        QuoteEvidence evidence = n.Quote(c1, SharedLog, releaseKey: true);
        QuoteSubmitted discovery = n.Submission(c1, evidence, SharedLog, [Label]);
        TpmtPublic genuineKey = TpmtPublic.Parse(evidence.ReleaseKeyPublic!);
        byte[] attackersKey;
        using (TpmClient tpm = TpmClient.Open(attacker.Tpm.TpmUri))
        {
            using TpmKey key = tpm.CreateReleaseKey(ReleaseKeyTemplate.Create(genuineKey.AuthPolicy));
            Assert.NotEqual(Hex(genuineKey.ComputeName()), Hex(key.Name));
            attackersKey = key.Public.ToArray();
        }

        AttestationResult released = (await RaceAsync(n, discovery, (AttestationReasonCodes.NonceMismatch, discovery with { ReleaseKeyPublic = attackersKey })))[^1];
        Assert.Equal(passphrase, Encoding.UTF8.GetString(n.OpenSecret(Assert.Single(released.Secrets ?? []), evidence)));

        // A plain quote (no release key signed); the copy adds the attacker's key and asks for the secret.
        QuoteSubmitted plain = n.Submission(await f.ChallengeAsync(n), SharedLog);
        Assert.Null(plain.ReleaseKeyPublic);
        AttestationResult passed = (await RaceAsync(n, plain,
            (AttestationReasonCodes.ReleaseKeyMismatch, plain with { WantedSecrets = [Label], ReleaseKeyPublic = attackersKey }),
            (AttestationReasonCodes.ReleaseKeyMismatch, plain with { WantedSecrets = [Label], ReleaseKeyPublic = evidence.ReleaseKeyPublic })))[^1];
        Assert.Null(passed.Secrets);
    }

    // Submits each copy ahead of the genuine message: each is refused with exactly its code, without a
    // next challenge or secret, and changes nothing the verifier shows (state, history); then the
    // genuine message passes over the same challenge, and no NodeQuarantined appears for the node.
    // Returns the refusals, then the genuine message's result.
    private async Task<AttestationResult[]> RaceAsync(AttackNode n, QuoteSubmitted genuine, params (string Code, QuoteSubmitted Copy)[] copies)
    {
        DateTimeOffset from = DateTimeOffset.UtcNow;
        NodeDetails before = await f.ShowAsync(n);
        var results = new List<AttestationResult>();
        foreach ((string code, QuoteSubmitted copy) in copies)
        {
            Assert.Equal(genuine.ChallengeId, copy.ChallengeId);
            AttestationResult r = await f.SubmitAsync(copy);
            Assert.True(r.Verdict == AttestationVerdicts.Fail, $"a copy expected to be {code}: verdict {r.Verdict}: {Describe(r)}");
            Assert.True(r.Reasons.Select(x => x.Code).SequenceEqual([code]), $"expected [{code}]: {Describe(r)}");
            Assert.False(string.IsNullOrWhiteSpace(r.Reasons[0].Message));
            Assert.Null(r.NextChallenge);
            Assert.Null(r.Secrets);
            Console.WriteLine($"{code}: {r.Reasons[0].Message}");
            results.Add(r);
        }

        NodeDetails after = await f.ShowAsync(n);
        Assert.Equal(before.State, after.State);
        Assert.Equal(History(before), History(after));
        Assert.Equal(before.AttestationsPassed, after.AttestationsPassed);

        AttestationResult passed = await f.SubmitAsync(genuine);
        Assert.True(passed.Verdict == AttestationVerdicts.Pass, $"the genuine message after the copies: verdict {passed.Verdict}: {Describe(passed)}\n{f.Diagnostics()}");
        Assert.Empty(passed.Reasons);
        Assert.NotNull(passed.NextChallenge);
        if (genuine.WantedSecrets is { Length: > 0 })
        {
            Assert.Single(passed.Secrets ?? []);
        }

        await Task.Delay(QuarantineWait);
        Assert.DoesNotContain(f.Verdicts.Messages, m => m.Is("NodeQuarantined") && Hash(m) == n.TpmHash);
        Assert.Equal(NodeStates.Trusted, (await f.ShowAsync(n)).State);
        results.Add(passed);
        return [.. results];
    }

    // The node attested once with the shared log (trust on first use), so it has an accepted log.
    private async Task TrustedAsync(AttackNode n)
    {
        AttestationResult r = await f.SubmitAsync(n.Submission(await f.ChallengeAsync(n), SharedLog));
        Assert.True(r.Verdict == AttestationVerdicts.Pass, $"verdict {r.Verdict}: {Describe(r)}\n{f.Diagnostics()}");
        Assert.Equal(NodeStates.Trusted, (await f.ShowAsync(n)).State);
    }

    private static string[] History(NodeDetails d) =>
        [.. d.History.Select(h => $"{h.At:O} {h.Verdict} {string.Join(",", h.Reasons.Select(r => r.Code))} reset {h.ResetCount} clock {h.Clock}")];

    private static string Describe(AttestationResult r) => string.Join("; ", r.Reasons.Select(x => $"{x.Code}: {x.Message}"));

    private static string Hex(ReadOnlySpan<byte> b) => Convert.ToHexStringLower(b);

    private static string? Hash(SpiedMessage m) => m.Message.TryGetProperty("tpmHash", out JsonElement h) ? h.GetString() : null;
}
