using KcryptPush.Attestation.EventLog;
using KcryptPush.Contracts.V1;
using KcryptPush.Messaging;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;
using KcryptPush.Verifier.Attestation;

namespace KcryptPush.Verifier.Tests;

/// <summary>
/// Bounded inputs and per-node limits (no noisy neighbour), and the quote details a TPM signs beyond
/// nonce and PCRs: qualifiedSigner and firmwareVersion.
/// </summary>
[Trait("Category", "Unit")]
public sealed class LimitsAndQuoteDetailsTests : IDisposable
{
    private readonly PipelineHarness _h = new(new VerifierOptions
    {
        MaxEventLogBytes = 64 * 1024, MaxPcrBanks = 2, MaxPcrsPerBank = 24, QuotesPerMinute = 3, ChallengeRequestsPerMinute = 5,
        MaxOutstandingChallenges = 2, MinTpmFirmwareVersion = 0x20000000_00000000,
    });

    public void Dispose() => _h.Dispose();

    [Fact]
    public void Oversized_logs_and_too_many_banks_or_values_are_refused_before_anything_is_hashed_or_parsed()
    {
        QuoteSubmitted q = _h.Quote(_h.Challenge());
        byte[] huge = new byte[64 * 1024 + 1];
        MessageValidationException log = Assert.Throws<MessageValidationException>(() => _h.Pipeline.Evaluate(q with { EventLog = huge }));
        Assert.Contains("MaxEventLogBytes", log.Message, StringComparison.Ordinal);

        PcrBankValues bank = q.Pcrs[0];
        Assert.Throws<MessageValidationException>(() => _h.Pipeline.Evaluate(q with { Pcrs = [bank, bank, bank] }));
        var many = Enumerable.Range(0, 25).ToDictionary(i => i, _ => new byte[32]);
        Assert.Throws<MessageValidationException>(() => _h.Pipeline.Evaluate(q with { Pcrs = [new PcrBankValues("sha256", many)] }));
        Assert.Null(_h.Store.Find(_h.TpmHash));
    }

    [Fact]
    public void A_node_over_its_quote_rate_is_refused_unjudged_and_forgeries_do_not_spend_its_quota()
    {
        // Forged messages in the node's name first: not authenticated, so they count for nothing.
        for (int i = 0; i < 10; i++)
        {
            QuoteSubmitted forged = _h.Quote(_h.Challenge());
            byte[] sig = (byte[])forged.Signature.Clone();
            sig[^1] ^= 1;
            Assert.Equal(AttestationReasonCodes.SignatureInvalid, Assert.Single(_h.Pipeline.Evaluate(forged with { Signature = sig }).Result.Reasons).Code);
        }

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(AttestationVerdicts.Pass, _h.Attest().Result.Verdict);
        }

        Guid c = _h.Challenge();
        int history = _h.Store.History(_h.TpmHash).Count;
        AttestationOutcome limited = _h.Pipeline.Evaluate(_h.Quote(c));
        Assert.Equal([AttestationReasonCodes.RateLimited], limited.Result.Reasons.Select(r => r.Code));
        Assert.Null(limited.Verdict);
        Assert.Equal(history, _h.Store.History(_h.TpmHash).Count);
        Assert.Null(_h.Store.FindChallenge(c)!.UsedAt);
        Assert.Equal(NodeStates.Trusted, _h.Record.State);

        // A minute later the same challenge (still valid) is judged.
        _h.Time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(AttestationVerdicts.Pass, _h.Pipeline.Evaluate(_h.Quote(c)).Result.Verdict);
    }

    [Fact]
    public void Challenge_requests_are_limited_per_minute_and_by_how_many_are_open()
    {
        var limits = new NodeRateLimiter(_h.Options);
        DateTime now = _h.Now;
        Assert.True(limits.TryRequestChallenge("n", now, out _));
        limits.Requested("n", Guid.NewGuid(), now.AddMinutes(2));
        Assert.True(limits.TryRequestChallenge("n", now, out _));
        var second = Guid.NewGuid();
        limits.Requested("n", second, now.AddMinutes(2));
        Assert.False(limits.TryRequestChallenge("n", now, out string? open));
        Assert.Contains("still open", open, StringComparison.Ordinal);

        // Another node is not affected; answering one challenge frees a place.
        Assert.True(limits.TryRequestChallenge("other", now, out _));
        limits.Used("n", second);
        Assert.True(limits.TryRequestChallenge("n", now, out _));

        // Per minute: 5 requests in all, however many of the challenges were answered.
        var fresh = new NodeRateLimiter(_h.Options);
        for (int i = 0; i < 5; i++)
        {
            Assert.True(fresh.TryRequestChallenge("n", now, out _));
            var id = Guid.NewGuid();
            fresh.Requested("n", id, now.AddMinutes(2));
            fresh.Used("n", id);
        }

        Assert.False(fresh.TryRequestChallenge("n", now.AddSeconds(59), out string? rate));
        Assert.Contains("in a minute", rate, StringComparison.Ordinal);
        Assert.True(fresh.TryRequestChallenge("n", now.AddSeconds(61), out _));
    }

    [Fact]
    public void The_parsed_log_cache_is_bounded_in_bytes_not_entries()
    {
        byte[] log = RealEvidence.EventLog;
        long one = log.Length + (EventLogParser.Parse(log).UntrustedEvents.Count * (long)ParsedLogCache.BytesPerEvent);
        var cache = new ParsedLogCache(3 * one);
        for (int i = 0; i < 20; i++)
        {
            byte[] key = System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i));
            Assert.NotEmpty(cache.GetOrParse(key, log).UntrustedEvents);
            Assert.True(cache.Bytes <= 3 * one, $"{cache.Bytes} bytes held");
        }

        Assert.Equal(3, cache.Count);
        Assert.Throws<EventLogFormatException>(() => cache.GetOrParse(new byte[32], [1, 2, 3]));
        Assert.Equal(3, cache.Count);
    }

    [Fact]
    public void A_quote_whose_qualified_signer_is_not_the_enrolled_endorsement_primary_AK_quarantines()
    {
        byte[] other = TpmName.Qualify(TpmAlgId.Sha256, TpmName.OfHandle(TpmHandle.RhOwner), _h.AkName);
        AttestationOutcome o = _h.Pipeline.Evaluate(_h.Quote(_h.Challenge(), qualifiedSigner: other));
        Assert.Equal([AttestationReasonCodes.QualifiedSignerMismatch], o.Result.Reasons.Select(r => r.Code));
        Assert.IsType<NodeQuarantined>(o.Verdict);
    }

    [Fact]
    public void A_TPM_firmware_update_is_audited_and_a_firmware_below_the_minimum_quarantines()
    {
        Assert.Equal(AttestationVerdicts.Pass, _h.Pipeline.Evaluate(_h.Quote(_h.Challenge(), firmware: 0x20000000_00000001)).Result.Verdict);
        Assert.Equal(AttestationVerdicts.Pass, _h.Pipeline.Evaluate(_h.Quote(_h.Challenge(), withLog: false, firmware: 0x20000001_00000000)).Result.Verdict);
        Assert.Equal(0x20000001_00000000UL, _h.Record.TpmFirmwareVersion);
        var audit = _h.Store.Audit(_h.TpmHash).Where(a => a.What == "tpm firmware").Select(a => (a.OldValue, a.NewValue)).ToList();
        Assert.Contains(((string?)"20000000.00000001", (string?)"20000001.00000000"), audit);

        AttestationOutcome old = _h.Pipeline.Evaluate(_h.Quote(_h.Challenge(), withLog: false, firmware: 0x1fffffff_ffffffff));
        Assert.Equal([AttestationReasonCodes.TpmFirmwareTooOld], old.Result.Reasons.Select(r => r.Code));
        Assert.IsType<NodeQuarantined>(old.Verdict);
    }

    [Theory]
    [InlineData("20191023.00163636", 0x20191023_00163636UL)]
    [InlineData("0x2019102300163636", 0x20191023_00163636UL)]
    [InlineData("1.2", 0x00000001_00000002UL)]
    public void Firmware_versions_parse_as_tpm_info_prints_them(string text, ulong expected) =>
        Assert.Equal(expected, VerifierOptions.ParseFirmwareVersion(text));

    [Theory]
    [InlineData("2019")]
    [InlineData("0x")]
    [InlineData("1.2.3")]
    [InlineData("123456789.1")]
    public void Other_firmware_texts_are_refused(string text) =>
        Assert.Throws<FormatException>(() => VerifierOptions.ParseFirmwareVersion(text));
}
