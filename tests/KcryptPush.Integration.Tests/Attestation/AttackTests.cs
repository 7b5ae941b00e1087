using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using KcryptPush.Agent.Attestation;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Contracts.V1;
using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Tpm.Client;
using KcryptPush.Tpm.Crypto;
using KcryptPush.Tpm.Errors;
using KcryptPush.Tpm.Structures;

namespace KcryptPush.Integration.Tests.Attestation;

/// <summary>
/// Attacks on push attestation (issue 4, "What must show": "Attacks rejected, each with its
/// reason"), end to end: real swtpm quotes made with our TPM client, sent by a test-side attacker
/// over the real broker to the real verifier process, which answers each with an AttestationResult
/// naming the distinct reason code. Messages not shown to come from the node's TPM are refused
/// without moving the node's state; authentic but broken evidence quarantines it.
/// </summary>
[Trait("Category", "Integration")]
public sealed class AttackTests(AttackClassFixture f) : IClassFixture<AttackClassFixture>
{
    private const string Label = "COS_PERSISTENT";
    // A little past the challenge's expiry; on a loaded machine the test's own steps may already
    // have outlasted it (Task.Delay refuses a negative wait).
    private static async Task WaitUntilExpiredAsync(Challenge challenge)
    {
        TimeSpan wait = challenge.ExpiresAt - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(700);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        Assert.True(DateTimeOffset.UtcNow > challenge.ExpiresAt, $"challenge {challenge.ChallengeId} has not expired");
    }

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly string SwtpmScript = Path.Combine(RepoPaths.Root, "scripts", "swtpm.sh");

    private static byte[] SharedLog => AttackClassFixture.SharedLog;

    [Fact]
    public async Task A_replayed_QuoteSubmitted_is_refused_as_challenge_reused_and_a_redelivery_of_the_same_message_gets_the_first_result()
    {
        AttackNode a = f.Nodes[0];
        Challenge challenge = await f.ChallengeAsync(a);
        QuoteSubmitted genuine = a.Submission(challenge, SharedLog);
        AttestationResult first = await f.SubmitAsync(genuine);
        AssertPass(first);

        // The same message again (a redelivery, or the agent resending an unanswered quote): the
        // stored result, down to the same next challenge, not a second judgement and not a failure.
        AttestationResult redelivered = await f.SubmitAsync(genuine);
        AssertSameResult(first, redelivered);

        // The captured quote replayed as a new message over the same challenge: refused.
        AttestationResult otherHost = await f.SubmitAsync(genuine with { Hostname = "replayed-from-elsewhere" });
        AssertRefused(otherHost, AttestationReasonCodes.ChallengeReused);
        AttestationResult withoutLog = await f.SubmitAsync(genuine with { EventLog = null });
        AssertRefused(withoutLog, AttestationReasonCodes.ChallengeReused);

        // The captured quote under a fresh challenge: the TPM signed the old nonce, not this one.
        Challenge fresh = await f.ChallengeAsync(a);
        AttestationResult moved = await f.SubmitAsync(genuine with { ChallengeId = fresh.ChallengeId });
        AssertRefused(moved, AttestationReasonCodes.NonceMismatch);

        // The replays did not spoil the genuine message's answer, nor the node's state.
        AssertSameResult(first, await f.SubmitAsync(genuine));
        Assert.Equal(NodeStates.Trusted, f.Show(a).GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_quote_over_another_nodes_nonce_is_challenge_unknown_and_over_an_expired_nonce_challenge_expired()
    {
        AttackNode a = f.Nodes[1], b = f.Nodes[0];

        // A's TPM signs B's nonce (a genuine signature by A's enrolled AK), sent in A's name.
        Challenge forB = await f.ChallengeAsync(b);
        AttestationResult foreign = await f.SubmitAsync(a.Submission(forB, a.Quote(forB, SharedLog), SharedLog));
        AssertRefused(foreign, AttestationReasonCodes.ChallengeUnknown);

        // B's challenge was not consumed by the attempt: B still answers it.
        AssertPass(await f.SubmitAsync(b.Submission(forB, SharedLog)));

        // A stale nonce: the quote is made and sent after the challenge expired.
        Challenge stale = await f.ChallengeAsync(a);
        Assert.True(stale.ExpiresAt - DateTimeOffset.UtcNow <= AttackClassFixture.ChallengeExpiry + TimeSpan.FromSeconds(1), $"challenge expires at {stale.ExpiresAt:O}");
        await WaitUntilExpiredAsync(stale);
        AttestationResult expired = await f.SubmitAsync(a.Submission(stale, SharedLog));
        AssertRefused(expired, AttestationReasonCodes.ChallengeExpired);

        // Neither refusal touched A: an honest quote over a fresh challenge passes.
        AssertPass(await f.SubmitAsync(a.Submission(await f.ChallengeAsync(a), SharedLog)));
    }

    [Fact]
    public async Task A_quote_signed_by_another_TPMs_AK_is_signature_invalid_under_the_nodes_AK_Name_and_ak_mismatch_under_its_own()
    {
        AttackNode a = f.Nodes[1], b = f.Nodes[0];
        Assert.NotEqual(a.AkName, b.AkName);

        // B's AK signs A's nonce; the message claims A's AK Name.
        Challenge c1 = await f.ChallengeAsync(a);
        AttestationResult forged = await f.SubmitAsync(a.Submission(c1, b.Quote(c1, SharedLog), SharedLog));
        AssertRefused(forged, AttestationReasonCodes.SignatureInvalid);

        // The same, honestly naming B's AK: refused before the challenge is even looked at.
        Challenge c2 = await f.ChallengeAsync(a);
        AttestationResult named = await f.SubmitAsync(a.Submission(c2, b.Quote(c2, SharedLog), SharedLog) with { AkName = b.AkName });
        AssertRefused(named, AttestationReasonCodes.AkMismatch);

        // So c2 is still A's to answer, and A is unharmed.
        AssertPass(await f.SubmitAsync(a.Submission(c2, SharedLog)));
        Assert.Equal(NodeStates.Trusted, f.Show(a).GetProperty("state").GetString());
    }

    [Fact]
    public async Task PCR_values_altered_on_the_way_under_a_genuine_quote_are_pcr_digest_mismatch()
    {
        AttackNode n = f.Nodes[5];
        QuoteSubmitted genuine = n.Submission(await f.ChallengeAsync(n), SharedLog);

        // The signed TPMS_ATTEST untouched; the reported PCR 7 values (Secure Boot state) replaced.
        PcrBankValues[] altered = [.. genuine.Pcrs.Select(b => new PcrBankValues(b.Bank,
            b.Values.ToDictionary(v => v.Key, v => v.Key == 7 ? SHA256.HashData(v.Value)[..v.Value.Length] : v.Value)))];
        AttestationResult r = await f.SubmitAsync(genuine with { Pcrs = altered });
        Assert.True(r.Verdict == AttestationVerdicts.Fail, Describe(r));
        Assert.Equal([AttestationReasonCodes.PcrDigestMismatch], r.Reasons.Select(x => x.Code));
        Assert.Null(r.Secrets);

        // A forgery changes nothing (EvidenceBindingTests shows the genuine message then passes over the
        // same challenge; this fixture's 4 s challenges may expire on a loaded machine meanwhile).
        Assert.NotEqual(NodeStates.Quarantined, f.Show(n).GetProperty("state").GetString());
    }

    [Fact]
    public async Task An_old_discovery_message_replayed_after_its_challenge_expired_and_an_operator_quarantine_releases_no_secret()
    {
        AttackNode n = f.Nodes[6];
        Ok(f.NodesCommand("stolen-disk-" + Guid.NewGuid().ToString("N") + "\n", "set-secret", n.TpmHash, Label, "--operator", "attack-test", "--known-verifiers", f.KnownVerifiersFile));
        Challenge challenge = await f.ChallengeAsync(n);
        QuoteSubmitted discovery = n.Submission(challenge, SharedLog, [Label]);
        AttestationResult released = await f.SubmitAsync(discovery);
        AssertPass(released);
        Assert.Single(released.Secrets ?? []);

        // The disk is reported stolen: a discovery call now gets no secret.
        Ok(f.NodesCommand(null, "quarantine", n.TpmHash, "--reason", "disk reported stolen", "--operator", "attack-test"));
        AttestationResult refused = await f.SubmitAsync(n.Submission(await f.ChallengeAsync(n), SharedLog, [Label]));
        AssertFailedOnly(refused, AttestationReasonCodes.OperatorQuarantine);

        // The old discovery message, captured and replayed once its challenge has expired (an
        // agent stops resending a quote when its challenge expires, so this is no redelivery).
        await WaitUntilExpiredAsync(challenge);
        AttestationResult replayed = await f.SubmitAsync(discovery);
        Assert.True(replayed.Verdict != AttestationVerdicts.Pass && replayed.Secrets is null,
            $"replayed after expiry and quarantine: verdict {replayed.Verdict}, {replayed.Secrets?.Length ?? 0} sealed secret(s), reasons: {Describe(replayed)}");
    }

    [Fact]
    public async Task An_edited_event_is_event_log_replay_mismatch_naming_the_event_and_a_truncated_log_fails_too()
    {
        AttackNode n = f.Nodes[2];
        AssertPass(await f.SubmitAsync(n.Submission(await f.ChallengeAsync(n), SharedLog)));

        // One event's digests changed (every bank), the TPM untouched: the quote is genuine, the log is not.
        (byte[] edited, UntrustedEvent ev) = EventLogSeeder.WithChangedDigest(SharedLog, TcgEventType.EV_EFI_VARIABLE_DRIVER_CONFIG);
        AttestationResult r = await f.SubmitAsync(n.Submission(await f.ChallengeAsync(n), edited));
        AssertFailedOnly(r, AttestationReasonCodes.EventLogReplayMismatch);
        Assert.Equal([$"sha1:{ev.PcrIndex}", $"sha256:{ev.PcrIndex}"], NamedPcrs(r));
        Assert.All(r.Reasons, x => Assert.Contains($"first event: #{ev.Index} ", x.Message, StringComparison.Ordinal));

        // Authentic evidence, broken: the node is quarantined, the alert names the PCR and the edited event.
        SpiedMessage q = await f.Verdicts.WaitForAsync(m => m.Is("NodeQuarantined") && Hash(m) == n.TpmHash, Patience, "NodeQuarantined", f.Diagnostics);
        Assert.Equal([AttestationReasonCodes.EventLogReplayMismatch], Codes(q.Message.GetProperty("reasonCodes")));
        Assert.Equal("Trusted", q.Message.GetProperty("previousState").GetString());
        Assert.All(q.Message.GetProperty("failingPcrs").EnumerateArray(), p => Assert.Equal((int)ev.PcrIndex, p.GetProperty("index").GetInt32()));
        Assert.Equal(ev.Index, q.Message.GetProperty("firstBrokenEvent").GetProperty("index").GetInt32());

        // Truncated at an event boundary (the last measured events cut off): the log parses, but
        // no longer replays to the quoted PCRs of the events that are missing. This log ends with a
        // grub EV_IPL on PCR 8 and the two "Exit Boot Services" EV_EFI_ACTIONs on PCR 5; those two
        // are the known firmware quirk the replay forgives (logs read at runtime often lack them,
        // attestation/Replay/EventLogWorkarounds.cs; fixed strings, so nothing is hidden), so PCR 8
        // is the one that breaks.
        ParsedEventLog parsed = EventLogParser.Parse(SharedLog);
        UntrustedEvent[] dropped = parsed.UntrustedEvents.ToArray()[^3..];
        Assert.Equal([8u, 5u, 5u], dropped.Select(e => e.PcrIndex));
        Assert.All(dropped[1..], e => Assert.Equal(TcgEventType.EV_EFI_ACTION, e.EventType));
        byte[] truncated = SharedLog[..dropped[0].Offset];
        Assert.Equal(parsed.UntrustedEvents.Count - 3, EventLogParser.Parse(truncated).UntrustedEvents.Count);
        AttestationResult cut = await f.SubmitAsync(n.Submission(await f.ChallengeAsync(n), truncated));
        AssertFailedOnly(cut, AttestationReasonCodes.EventLogReplayMismatch);
        Assert.Equal(["sha1:8", "sha256:8"], NamedPcrs(cut));

        // Truncated in the middle of the last record: the log no longer parses.
        UntrustedEvent last = parsed.UntrustedEvents[^1];
        byte[] torn = SharedLog[..(last.Offset + (last.Length / 2))];
        AttestationResult malformed = await f.SubmitAsync(n.Submission(await f.ChallengeAsync(n), torn));
        AssertFailedOnly(malformed, AttestationReasonCodes.EventLogMalformed);
        Console.WriteLine($"edited event #{ev.Index} ({ev.TypeName}, PCR {ev.PcrIndex}): {r.Reasons[0].Message}\n"
            + $"last 3 events cut (PCRs {string.Join(",", dropped.Select(e => e.PcrIndex))}): {cut.Reasons[0].Message}\ntorn record: {malformed.Reasons[0].Message}");
    }

    [Fact]
    public async Task A_TPM_rolled_back_to_an_earlier_state_is_refused_as_clock_went_backwards()
    {
        // A real TPM's clock info cannot be set back by command (TPM2_ClockSet refuses to go back,
        // resetCount only grows), and the signature binds it to our nonce. What an attacker with
        // the TPM's state can do is restore an earlier copy of it (a vTPM or swtpm state file):
        // the restored TPM then quotes, genuinely signed, with a lower resetCount.
        AttackNode n = f.Nodes[3];
        string state = Path.Combine(n.Tpm.Directory, "state");
        string snapshot = Path.Combine(n.Tpm.Directory, "state-snapshot");
        StopTpm(n);
        CopyDirectory(state, snapshot);
        StartTpm(n);
        EventLogSeeder.Seed(n.Tpm, SharedLog);
        n.Tpm.Restart(); // one more reboot after the snapshot
        EventLogSeeder.Seed(n.Tpm, SharedLog);

        QuoteSubmitted accepted = n.Submission(await f.ChallengeAsync(n), SharedLog);
        AssertPass(await f.SubmitAsync(accepted));
        TpmsClockInfo acceptedClock = TpmsAttest.Parse(accepted.Attest).ClockInfo;

        // Roll the TPM back to the snapshot and boot it, the same log measured again.
        StopTpm(n);
        Directory.Delete(state, recursive: true);
        CopyDirectory(snapshot, state);
        StartTpm(n);
        EventLogSeeder.Seed(n.Tpm, SharedLog);

        QuoteSubmitted rolledBack = n.Submission(await f.ChallengeAsync(n), SharedLog);
        TpmsClockInfo rolledBackClock = TpmsAttest.Parse(rolledBack.Attest).ClockInfo;
        Assert.True(rolledBackClock.ResetCount < acceptedClock.ResetCount, $"the premise: resetCount {rolledBackClock.ResetCount} after {acceptedClock.ResetCount}");
        AttestationResult r = await f.SubmitAsync(rolledBack);
        AssertFailedOnly(r, AttestationReasonCodes.ClockWentBackwards);
        Assert.Contains($"resetCount went backwards: {rolledBackClock.ResetCount} after {acceptedClock.ResetCount}", r.Reasons[0].Message, StringComparison.Ordinal);

        // The quote is genuine (our nonce, the enrolled AK), so this is a quarantine, not a mere refusal.
        SpiedMessage q = await f.Verdicts.WaitForAsync(m => m.Is("NodeQuarantined") && Hash(m) == n.TpmHash, Patience, "NodeQuarantined", f.Diagnostics);
        Assert.Equal([AttestationReasonCodes.ClockWentBackwards], Codes(q.Message.GetProperty("reasonCodes")));
        Console.WriteLine($"accepted quote: resetCount {acceptedClock.ResetCount}, clock {acceptedClock.Clock} ms; rolled-back TPM: resetCount {rolledBackClock.ResetCount}, clock {rolledBackClock.Clock} ms, safe {rolledBackClock.Safe}");
    }

    [Fact]
    public async Task A_secret_sealed_in_one_nodes_result_opens_on_its_TPM_only()
    {
        AttackNode a = f.Nodes[0], b = f.Nodes[1];
        string passphrase = "attack-" + Guid.NewGuid().ToString("N");
        ProcessResult set = f.NodesCommand(passphrase + "\n", "set-secret", a.TpmHash, Label, "--operator", "attack-test", "--known-verifiers", f.KnownVerifiersFile);
        Assert.True(set.ExitCode == 0, $"set-secret exit {set.ExitCode}: {set.StdErr}");

        Challenge challenge = await f.ChallengeAsync(a);
        QuoteEvidence evidence = a.Quote(challenge, SharedLog, releaseKey: true);
        AttestationResult r = await f.SubmitAsync(a.Submission(challenge, evidence, SharedLog, [Label]));
        AssertPass(r);
        SealedSecret s = Assert.Single(r.Secrets ?? []);
        Assert.Equal(Label, s.Label);
        Assert.DoesNotContain(passphrase, JsonSerializer.Serialize(r), StringComparison.Ordinal);

        // B's TPM, with its own EK, cannot recover the key sealed to A's EK: the seed (RSA-OAEP to
        // A's EK, TPM 2.0 Part 1 §24.4) does not decrypt under B's EK. The reference code answers
        // TPM_RC_VALUE for a bad OAEP block; libtpms (swtpm) decrypts with OpenSSL and answers
        // TPM_RC_FAILURE for the same failure (CryptRsa.c, CryptRsaDecrypt).
        TpmException refused = Assert.Throws<TpmException>(() => Activate(b, s));
        Assert.Equal("TPM2_ActivateCredential", refused.Command);
        Assert.Contains(refused.Code, new[] { TpmRc.Value, TpmRc.Failure });

        // A's own TPM, under its enrolled AK instead of the release key: the seed decrypts, but the
        // credential's HMAC covers the release key's Name (Part 1 §24.5), so TPM_RC_INTEGRITY.
        TpmException otherKey = Assert.Throws<TpmException>(() => Activate(a, s));
        Assert.Equal(TpmRc.Integrity, otherKey.Code);
        Console.WriteLine($"node A's secret on node B's TPM: {refused.Message}; on node A's TPM under the AK: {otherKey.Message}");

        // A's TPM with the release key of the quote recovers it, in this boot, with these PCRs.
        Assert.Equal(passphrase, Encoding.UTF8.GetString(a.OpenSecret(s, evidence)));
        byte[] key = Activate(a, s, evidence);

        // Even with that key, the sealed secret does not open as B's (the AES-GCM data binds the node).
        Assert.ThrowsAny<CryptographicException>(() => SecretSeal.Open(key, b.TpmHash, s.Label, s.Nonce, s.Ciphertext, s.Tag));
    }

    [Fact]
    public async Task After_a_quarantine_on_a_changed_PCR_4_learning_it_over_the_bus_lets_the_next_attestation_pass_with_an_audit_entry()
    {
        AttackNode n = f.Nodes[4];
        QuoteSubmitted tofu = n.Submission(await f.ChallengeAsync(n), SharedLog);
        AssertPass(await f.SubmitAsync(tofu));

        // Reboot into another boot application (PCR 4 changes in both banks; log and PCRs agree).
        (byte[] changed, UntrustedEvent app) = EventLogSeeder.WithChangedDigest(SharedLog, TcgEventType.EV_EFI_BOOT_SERVICES_APPLICATION);
        Assert.Equal(4u, app.PcrIndex);
        n.Tpm.Restart();
        EventLogSeeder.Seed(n.Tpm, changed);
        AttestationResult violation = await f.SubmitAsync(n.Submission(await f.ChallengeAsync(n), changed));
        AssertFailedOnly(violation, AttestationReasonCodes.PcrPolicyViolation);
        Assert.Equal(["sha1:4", "sha256:4"], NamedPcrs(violation));
        await f.Verdicts.WaitForAsync(m => m.Is("NodeQuarantined") && Hash(m) == n.TpmHash, Patience, "NodeQuarantined", f.Diagnostics);

        // Learn sha256:4 only: the sha1 bank still enforces the old value, nothing is learned.
        Ok(f.NodesCommand(null, "set-pcr", n.TpmHash, "sha256:4", "--learn", "--operator", "attack-test"));
        AttestationResult half = await f.SubmitAsync(n.Submission(await f.ChallengeAsync(n), changed));
        AssertFailedOnly(half, AttestationReasonCodes.PcrPolicyViolation);
        Assert.Equal(["sha1:4"], NamedPcrs(half));

        // Learn sha1:4 too: the next attestation passes, learns both, and the node is trusted again.
        Ok(f.NodesCommand(null, "set-pcr", n.TpmHash, "sha1:4", "--learn", "--operator", "attack-test"));
        DateTimeOffset learnedAt = DateTimeOffset.UtcNow;
        QuoteSubmitted learning = n.Submission(await f.ChallengeAsync(n), changed);
        AssertPass(await f.SubmitAsync(learning));
        SpiedMessage trusted = await f.Verdicts.WaitForAsync(m => m.Is("NodeTrusted") && Hash(m) == n.TpmHash && m.At >= learnedAt, Patience, "NodeTrusted after learning", f.Diagnostics);
        Assert.Equal("Quarantined", trusted.Message.GetProperty("previousState").GetString());

        // The audit trail has the learned values with old and new value; the policy enforces the new ones.
        JsonElement show = f.Show(n);
        Assert.Equal(NodeStates.Trusted, show.GetProperty("state").GetString());
        foreach (string bank in new[] { "sha1", "sha256" })
        {
            string old = Hex(tofu, bank, 4), now = Hex(learning, bank, 4);
            Assert.NotEqual(old, now);
            JsonElement entry = Assert.Single(show.GetProperty("audit").EnumerateArray(),
                e => e.GetProperty("what").GetString() == $"pcr {bank}:4" && e.GetProperty("actor").GetString() == "verifier:learn");
            Assert.Equal(old, entry.GetProperty("oldValue").GetString());
            Assert.Equal(now, entry.GetProperty("newValue").GetString());
            JsonElement policy = Assert.Single(show.GetProperty("pcrPolicy").EnumerateArray(), p => p.GetProperty("bank").GetString() == bank && p.GetProperty("index").GetInt32() == 4);
            Assert.Equal(("enforce", now), (policy.GetProperty("mode").GetString(), policy.GetProperty("value").GetString()));
        }

        // And it stays: the next attestation of the same boot passes against the learned values.
        AssertPass(await f.SubmitAsync(n.Submission(await f.ChallengeAsync(n), changed)));
    }

    // TPM2_ActivateCredential on the node's TPM with its RSA EK and the enrolled (persisted) AK, or the
    // release key of evidence (recreated in the NULL hierarchy, under its policy session) when given.
    private static byte[] Activate(AttackNode node, SealedSecret s, QuoteEvidence? evidence = null)
    {
        using TpmClient client = TpmClient.Open(node.Tpm.TpmUri);
        using TpmKey ek = client.CreateEk(EkKind.Rsa2048);
        if (evidence is null)
        {
            using TpmKey ak = client.GetOrCreatePersistentAk(AkKind.Rsa2048);
            return client.ActivateCredential(ak, ek, s.CredentialBlob, s.EncryptedSecret);
        }

        TpmtPublic released = TpmtPublic.Parse(evidence.ReleaseKeyPublic!);
        TpmsAttest attest = TpmsAttest.Parse(evidence.Attest);
        using TpmKey releaseKey = client.CreateReleaseKey(KcryptPush.Tpm.Release.ReleaseKeyTemplate.Create(released.AuthPolicy));
        return client.ActivateWithReleaseKey(releaseKey, ek, attest.Quote!.PcrSelect, attest.ClockInfo.ResetCount, s.CredentialBlob, s.EncryptedSecret);
    }

    private void AssertPass(AttestationResult r)
    {
        Assert.True(r.Verdict == AttestationVerdicts.Pass, $"verdict {r.Verdict}: {Describe(r)}\n{f.Diagnostics()}");
        Assert.Empty(r.Reasons);
        Assert.NotNull(r.NextChallenge);
    }

    // A refusal of a message not shown to come from the node's TPM: fail with exactly this reason.
    private static void AssertRefused(AttestationResult r, string code)
    {
        Assert.True(r.Verdict == AttestationVerdicts.Fail, $"verdict {r.Verdict}: {Describe(r)}");
        Assert.Equal([code], r.Reasons.Select(x => x.Code));
        Assert.False(string.IsNullOrWhiteSpace(r.Reasons[0].Message));
        Assert.Null(r.Secrets);
    }

    // A failure with one or more reasons, all of this code.
    private static void AssertFailedOnly(AttestationResult r, string code)
    {
        Assert.True(r.Verdict == AttestationVerdicts.Fail, $"verdict {r.Verdict}: {Describe(r)}");
        Assert.NotEmpty(r.Reasons);
        Assert.All(r.Reasons, x => Assert.True(x.Code == code, Describe(r)));
        Assert.Null(r.Secrets);
    }

    private static void AssertSameResult(AttestationResult expected, AttestationResult actual)
    {
        Assert.Equal(expected.ChallengeId, actual.ChallengeId);
        Assert.Equal(expected.Verdict, actual.Verdict);
        Assert.Equal(expected.Reasons.Select(x => x.Code), actual.Reasons.Select(x => x.Code));
        Assert.Equal(expected.NextChallenge?.ChallengeId, actual.NextChallenge?.ChallengeId);
        Assert.Equal(expected.NextChallenge?.Nonce, actual.NextChallenge?.Nonce);
    }

    private static string Describe(AttestationResult r) => string.Join("; ", r.Reasons.Select(x => $"{x.Code}: {x.Message}"));

    // The bank:index each replay/policy reason names ("PCR sha256:4 ..."), sorted.
    private static string[] NamedPcrs(AttestationResult r) =>
        [.. r.Reasons.Select(x => Regex.Match(x.Message, @"^PCR (sha\d+:\d+)")).Where(m => m.Success).Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal)];

    private static string Hex(QuoteSubmitted q, string bank, int pcr) => Convert.ToHexStringLower(q.Pcrs.Single(b => b.Bank == bank).Values[pcr]);

    private static string? Hash(SpiedMessage m) => m.Message.TryGetProperty("tpmHash", out JsonElement h) ? h.GetString() : null;

    private static string[] Codes(JsonElement array) => [.. array.EnumerateArray().Select(c => c.GetString()!)];

    private static void Ok(ProcessResult r) => Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.StdErr}{r.StdOut}");

    private static void StopTpm(AttackNode n) => ProcessRunner.RunChecked(SwtpmScript, ["stop", n.Tpm.Directory]);

    private static void StartTpm(AttackNode n) =>
        ProcessRunner.RunChecked(SwtpmScript, ["start", n.Tpm.Directory, n.Tpm.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        }
    }
}
