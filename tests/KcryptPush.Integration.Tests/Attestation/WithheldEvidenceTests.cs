using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Contracts.V1;
using KcryptPush.Integration.Tests.Fixtures;

namespace KcryptPush.Integration.Tests.Attestation;

/// <summary>
/// Withheld evidence is a finding (DESIGN.md "Flows"), end to end: a quote naming an event log the
/// verifier does not hold, without the log, is genuinely signed over that digest. The PCR policy is
/// judged on the signed values first; otherwise the verifier asks for the log (retry, eventLogWanted),
/// and a node that answers twice more without it is quarantined with <c>event-log-withheld</c>. Such
/// messages are no evidence for the silence detector.
/// </summary>
[Trait("Category", "Integration")]
public sealed class WithheldEvidenceTests(WithheldClassFixture f) : IClassFixture<WithheldClassFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static byte[] SharedLog => EvidenceClassFixture.SharedLog;

    // A log the verifier never saw (another boot application), whose digest an agent names and withholds.
    private static byte[] UnknownLogSha256 =>
        SHA256.HashData(EventLogSeeder.WithChangedDigest(SharedLog, TcgEventType.EV_EFI_BOOT_SERVICES_APPLICATION).Log);

    [Fact]
    public async Task A_node_asked_for_its_log_that_answers_twice_more_without_it_is_quarantined_as_event_log_withheld()
    {
        AttackNode n = f.Nodes[0];
        AssertPass(await f.SubmitAsync(n.Submission(await f.ChallengeAsync(n), SharedLog)));
        DateTimeOffset from = DateTimeOffset.UtcNow;

        AttestationResult asked = await f.SubmitAsync(n.SubmissionWithoutLog(await f.ChallengeAsync(n), UnknownLogSha256));
        AssertLogWanted(asked);

        AttestationResult once = await f.SubmitAsync(n.SubmissionWithoutLog(asked.NextChallenge!, UnknownLogSha256));
        AssertLogWanted(once);
        Assert.DoesNotContain(f.Verdicts.Messages, m => m.Is("NodeQuarantined") && Hash(m) == n.TpmHash);

        AttestationResult twice = await f.SubmitAsync(n.SubmissionWithoutLog(once.NextChallenge!, UnknownLogSha256));
        AssertFailedOnly(twice, AttestationReasonCodes.EventLogWithheld);
        Assert.False(twice.EventLogWanted);
        Assert.Contains(Hex(UnknownLogSha256), twice.Reasons[0].Message, StringComparison.Ordinal);

        SpiedMessage q = await f.Verdicts.WaitForAsync(m => m.Is("NodeQuarantined") && Hash(m) == n.TpmHash && m.At >= from, Patience, "NodeQuarantined", f.Diagnostics);
        Assert.Equal([AttestationReasonCodes.EventLogWithheld], Codes(q.Message.GetProperty("reasonCodes")));
        Console.WriteLine($"{twice.Reasons[0].Code}: {twice.Reasons[0].Message}");
    }

    [Fact]
    public async Task A_node_that_names_a_random_log_digest_in_every_quote_and_never_sends_a_log_is_quarantined_and_never_trusted()
    {
        AttackNode n = f.Nodes[1];
        Assert.Empty((await f.ShowAsync(n)).History); // the premise: it never attested

        var verdicts = new List<AttestationResult>();
        Challenge next = await f.ChallengeAsync(n);
        for (int i = 0; i < 5; i++)
        {
            byte[] digest = RandomNumberGenerator.GetBytes(32);
            AttestationResult r = await f.SubmitAsync(n.SubmissionWithoutLog(next, digest));
            verdicts.Add(r);
            next = r.NextChallenge ?? await f.ChallengeAsync(n);
        }

        string summary = string.Join(", ", verdicts.Select(r => $"{r.Verdict}{(r.EventLogWanted ? " (log wanted)" : "")} [{Describe(r)}]"));
        Assert.True(verdicts.Select(r => r.Verdict).SequenceEqual([AttestationVerdicts.Retry, AttestationVerdicts.Retry, AttestationVerdicts.Fail, AttestationVerdicts.Fail, AttestationVerdicts.Fail]), summary);
        Assert.All(verdicts[..2], AssertLogWanted);
        Assert.All(verdicts[2..], r => AssertFailedOnly(r, AttestationReasonCodes.EventLogWithheld));

        SpiedMessage q = await f.Verdicts.WaitForAsync(m => m.Is("NodeQuarantined") && Hash(m) == n.TpmHash, Patience, "NodeQuarantined", f.Diagnostics);
        Assert.Equal([AttestationReasonCodes.EventLogWithheld], Codes(q.Message.GetProperty("reasonCodes")));
        Assert.DoesNotContain(f.Verdicts.Messages, m => m.Is("NodeTrusted") && Hash(m) == n.TpmHash);
        Assert.NotEqual(NodeStates.Trusted, (await f.ShowAsync(n)).State);
        Console.WriteLine(summary);
    }

    [Fact]
    public async Task A_node_whose_PCRs_violate_its_policy_is_quarantined_as_pcr_policy_violation_on_its_first_quote_without_the_log_then_asked_for_it()
    {
        AttackNode n = f.Nodes[2];
        AssertPass(await f.SubmitAsync(n.Submission(await f.ChallengeAsync(n), SharedLog))); // TOFU: PCR 4 learned

        // Reboot into another boot application (PCR 4 changes in both banks), and withhold the new log.
        (byte[] changed, UntrustedEvent app) = EventLogSeeder.WithChangedDigest(SharedLog, TcgEventType.EV_EFI_BOOT_SERVICES_APPLICATION);
        Assert.Equal(4u, app.PcrIndex);
        n.Tpm.Restart();
        EventLogSeeder.Seed(n.Tpm, changed);
        DateTimeOffset from = DateTimeOffset.UtcNow;
        AttestationResult r = await f.SubmitAsync(n.SubmissionWithoutLog(await f.ChallengeAsync(n), SHA256.HashData(changed)));

        AssertFailedOnly(r, AttestationReasonCodes.PcrPolicyViolation);
        Assert.True(r.EventLogWanted, "judged on the signed PCR values, and the log is asked for all the same");
        Assert.Equal(["sha1:4", "sha256:4"], NamedPcrs(r));
        SpiedMessage q = await f.Verdicts.WaitForAsync(m => m.Is("NodeQuarantined") && Hash(m) == n.TpmHash && m.At >= from, Patience, "NodeQuarantined", f.Diagnostics);
        Assert.Equal([AttestationReasonCodes.PcrPolicyViolation], Codes(q.Message.GetProperty("reasonCodes")));

        // The log it was asked for: judged in full, still quarantined, no longer wanted, and no second verdict.
        AttestationResult full = await f.SubmitAsync(n.Submission(r.NextChallenge ?? await f.ChallengeAsync(n), changed));
        AssertFailedOnly(full, AttestationReasonCodes.PcrPolicyViolation);
        Assert.False(full.EventLogWanted);
        Assert.Single(f.Verdicts.Messages, m => m.Is("NodeQuarantined") && Hash(m) == n.TpmHash && m.At >= from);
    }

    [Fact]
    public async Task A_node_that_pushes_only_quotes_without_the_wanted_log_is_reported_silent()
    {
        AttackNode n = f.Nodes[3];
        DateTimeOffset before = DateTimeOffset.UtcNow;
        AssertPass(await f.SubmitAsync(n.Submission(await f.ChallengeAsync(n), SharedLog))); // its last complete evidence
        DateTimeOffset evidenceAt = DateTimeOffset.UtcNow;

        // From now on a quote every half interval, each over the challenge the last answer carried, none
        // with the log: the node is never quiet, yet it gives no evidence.
        TimeSpan pace = f.Interval / 2;
        TimeSpan deadline = f.SilenceThreshold + TimeSpan.FromSeconds(15);
        var verdicts = new List<string>();
        var clock = Stopwatch.StartNew();
        Challenge next = await f.ChallengeAsync(n);
        SpiedMessage? silent = null;
        while (silent is null && clock.Elapsed < deadline)
        {
            AttestationResult r = await f.SubmitAsync(n.SubmissionWithoutLog(next, UnknownLogSha256));
            Assert.NotEqual(AttestationVerdicts.Pass, r.Verdict);
            verdicts.Add(r.Verdict + (r.Reasons.Length > 0 ? $" [{string.Join(",", r.Reasons.Select(x => x.Code))}]" : ""));
            next = r.NextChallenge ?? await f.ChallengeAsync(n);
            await Task.Delay(pace);
            silent = f.Verdicts.Messages.FirstOrDefault(m => m.Is("NodeSilent") && Hash(m) == n.TpmHash && m.At >= before);
        }

        string sent = $"{verdicts.Count} quotes without the log in {clock.Elapsed.TotalSeconds:0.0} s: {string.Join(", ", verdicts)}";
        Assert.True(silent is not null, $"no NodeSilent for the node within {deadline} (silence threshold {f.SilenceThreshold}); {sent}\n{f.Diagnostics()}");
        Assert.True(silent.At - evidenceAt >= f.SilenceThreshold - TimeSpan.FromSeconds(1),
            $"NodeSilent at {silent.At:O}, only {(silent.At - evidenceAt).TotalSeconds:0.0} s after the last complete evidence; {sent}");

        // The silence dates from the last complete evidence: the quotes without the log did not count.
        DateTimeOffset lastSeen = silent.Message.GetProperty("lastSeen").GetDateTimeOffset();
        Assert.True(lastSeen >= before - TimeSpan.FromSeconds(1) && lastSeen <= evidenceAt + TimeSpan.FromSeconds(1),
            $"lastSeen {lastSeen:O} is not the passing attestation's time ({before:O}..{evidenceAt:O}); {sent}");
        Console.WriteLine($"NodeSilent {(silent.At - evidenceAt).TotalSeconds:0.0} s after the last complete evidence; {sent}");
    }

    private void AssertPass(AttestationResult r)
    {
        Assert.True(r.Verdict == AttestationVerdicts.Pass, $"verdict {r.Verdict}: {Describe(r)}\n{f.Diagnostics()}");
        Assert.Empty(r.Reasons);
        Assert.NotNull(r.NextChallenge);
    }

    // The verifier asks for the log: retry, eventLogWanted, a next challenge to answer with it.
    private static void AssertLogWanted(AttestationResult r)
    {
        Assert.True(r.Verdict == AttestationVerdicts.Retry && r.EventLogWanted, $"verdict {r.Verdict}, eventLogWanted {r.EventLogWanted}: {Describe(r)}");
        Assert.Empty(r.Reasons);
        Assert.NotNull(r.NextChallenge);
        Assert.Null(r.Secrets);
    }

    private static void AssertFailedOnly(AttestationResult r, string code)
    {
        Assert.True(r.Verdict == AttestationVerdicts.Fail, $"verdict {r.Verdict}: {Describe(r)}");
        Assert.NotEmpty(r.Reasons);
        Assert.All(r.Reasons, x => Assert.True(x.Code == code, Describe(r)));
        Assert.Null(r.Secrets);
    }

    private static string Describe(AttestationResult r) => string.Join("; ", r.Reasons.Select(x => $"{x.Code}: {x.Message}"));

    // The bank:index each policy reason names ("PCR sha256:4 ..."), sorted.
    private static string[] NamedPcrs(AttestationResult r) =>
        [.. r.Reasons.Select(x => Regex.Match(x.Message, @"^PCR (sha\d+:\d+)")).Where(m => m.Success).Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal)];

    private static string Hex(ReadOnlySpan<byte> b) => Convert.ToHexStringLower(b);

    private static string? Hash(SpiedMessage m) => m.Message.TryGetProperty("tpmHash", out JsonElement h) ? h.GetString() : null;

    private static string[] Codes(JsonElement array) => [.. array.EnumerateArray().Select(c => c.GetString()!)];
}
