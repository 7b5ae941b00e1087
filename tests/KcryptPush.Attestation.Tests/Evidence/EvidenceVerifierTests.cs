using System.Reflection;
using System.Security.Cryptography;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Evidence;
using KcryptPush.Attestation.Quotes;
using KcryptPush.Attestation.Replay;
using KcryptPush.Attestation.Tests.EventLog;
using KcryptPush.Attestation.Tests.Quotes;
using KcryptPush.Tpm.Release;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.Tests.Evidence;

/// <summary>
/// <see cref="EvidenceVerifier"/>, DESIGN.md "Verification, in order" (3)-(7) as one pure call: quotes made as
/// TPM2_Quote makes them (TPM 2.0 Part 2 §10.12.12) over the real GCE COS 85 sha256 PCR values, with the event
/// log that replays to them, signed by a software restricted RSASSA AK (a recorded real quote cannot sign our
/// evidence binding). What comes out as a <see cref="VerifiedEventLog"/> is only what replayed.
/// </summary>
[Trait("Category", "Unit")]
public sealed class EvidenceVerifierTests : IDisposable
{
    private const string LogName = "gcp-cos85-sev-attested";
    private static readonly byte[] Log = SharedLogs.Bytes(LogName);
    private static readonly IReadOnlyDictionary<int, byte[]> Pcrs = RealQuote.Get("gce-cos85-nonce9009.sha256").PcrsOfFirstBank;
    private static readonly TpmlPcrSelection AllSha256 = TpmlPcrSelection.Create((TpmAlgId.Sha256, Enumerable.Range(0, 24)));
    private static readonly byte[] Nonce = [1, 2, 3, 4, 5, 6, 7, 8];

    private readonly RSA _ak = RSA.Create(2048);
    private readonly EnrolledAk _enrolled;

    public EvidenceVerifierTests()
    {
        byte[] akPublic = new TpmtPublic
        {
            Type = TpmAlgId.Rsa, NameAlg = TpmAlgId.Sha256, ObjectAttributes = Tpm.Templates.AkTemplates.Attributes,
            Scheme = new TpmtScheme(TpmAlgId.RsaSsa, TpmAlgId.Sha256), KeyBits = 2048, Unique = _ak.ExportParameters(false).Modulus!,
        }.ToArray();
        _enrolled = new EnrolledAk(akPublic, TpmtPublic.Parse(akPublic).ComputeName());
    }

    public void Dispose() => _ak.Dispose();

    private static ChallengeTerms Terms(TpmlPcrSelection? selection = null, TpmsClockInfo? floor = null) =>
        new(Guid.Parse("0b6f4f0e-3a0c-4c41-9a55-2f1d1bd0e001"), Nonce, selection ?? AllSha256, floor);

    /// <summary>The node's answer: a quote over <paramref name="bank"/> PCR 0-23 with <paramref name="pcrs"/>, bound to
    /// <paramref name="signedNonce"/> and the SHA-256 of <paramref name="log"/>, carrying the log.</summary>
    private NodeEvidence Quote(byte[]? log = null, IReadOnlyDictionary<int, byte[]>? pcrs = null, byte[]? signedNonce = null,
        TpmAlgId bank = TpmAlgId.Sha256, TpmsClockInfo? clock = null)
    {
        log ??= Log;
        pcrs ??= Pcrs;
        byte[] logDigest = SHA256.HashData(log);
        var selection = TpmlPcrSelection.Create((bank, Enumerable.Range(0, 24)));
        var reported = new PcrValues();
        foreach ((int pcr, byte[] value) in pcrs)
        {
            reported.Set(bank, pcr, value);
        }

        byte[] attest = new TpmsAttest
        {
            Magic = TpmsAttest.TpmGeneratedValue, Type = TpmSt.AttestQuote,
            QualifiedSigner = TpmName.Qualify(TpmAlgId.Sha256, TpmName.OfHandle(TpmHandle.RhEndorsement), _enrolled.Name),
            ExtraData = EvidenceBinding.Compute(signedNonce ?? Nonce, logDigest, []),
            ClockInfo = clock ?? new TpmsClockInfo(5000, 3, 0, true), FirmwareVersion = 1,
            Quote = new TpmsQuoteInfo(selection, PcrDigest.Compute(TpmAlgId.Sha256, selection, (b, p) => reported.TryGet(b, p, out byte[] v) ? v : null)!),
        }.ToArray();
        byte[] signature = new TpmtSignature
        {
            SigAlg = TpmAlgId.RsaSsa, Hash = TpmAlgId.Sha256, Signature = _ak.SignData(attest, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        }.ToArray();
        return new NodeEvidence(attest, signature, reported, logDigest) { EventLog = log };
    }

    // Every event replay binds: extended (not EV_NO_ACTION), on PCR 0-23, with a digest in a replayed bank.
    private static int[] Extended(ParsedEventLog log, ushort bank, Func<UntrustedEvent, bool>? where = null) =>
        log.UntrustedEvents.Where(e => e.EventType != TcgEventType.EV_NO_ACTION && e.PcrIndex < 24 && e.TryGetDigest(bank, out _) && (where?.Invoke(e) ?? true))
            .Select(e => e.Index).ToArray();

    [Fact]
    public void Genuine_evidence_with_its_log_passes_and_every_extended_event_is_verified()
    {
        EvidenceVerification v = EvidenceVerifier.Verify(_enrolled, Terms(), Quote());

        Assert.True(v.Authenticated);
        Assert.True(v.Passed, string.Join("; ", v.Findings));
        Assert.Empty(v.Findings);
        Assert.Equal(5000ul, v.Attest!.ClockInfo.Clock);
        Assert.Equal(Enumerable.Range(0, 24), v.QuotedPcrs[TpmAlgId.Sha256].Keys);
        VerifiedEventLog log = v.Log!;
        Assert.True(log.Replay.Succeeded);
        int[] expected = Extended(v.UntrustedLog!, (ushort)TpmAlgId.Sha256);
        Assert.NotEmpty(expected);
        Assert.Equal(expected, log.Events.Select(e => e.Index));
    }

    [Fact]
    public void A_forged_signature_is_not_authenticated_and_no_log_comes_out()
    {
        NodeEvidence genuine = Quote();
        byte[] forged = (byte[])genuine.Signature.Clone();
        forged[^1] ^= 1;

        EvidenceVerification v = EvidenceVerifier.Verify(_enrolled, Terms(), genuine with { Signature = forged });

        Assert.False(v.Authenticated);
        Assert.False(v.Passed);
        Assert.Equal([EvidenceCode.SignatureInvalid], v.Findings.Select(f => f.Code));
        Assert.Null(v.Log);
        Assert.Null(v.Attest);
        Assert.Throws<ArgumentException>(() => EvidenceVerifier.VerifyLog(v, EventLogParser.Parse(Log)));
    }

    [Fact]
    public void Another_challenges_nonce_is_not_authenticated_and_the_finding_names_the_challenge()
    {
        EvidenceVerification v = EvidenceVerifier.Verify(_enrolled, Terms(), Quote(signedNonce: [9, 9, 9]));

        Assert.False(v.Authenticated);
        EvidenceFinding f = Assert.Single(v.Findings);
        Assert.Equal(EvidenceCode.NonceMismatch, f.Code);
        Assert.Contains("nonce of challenge 0b6f4f0e-3a0c-4c41-9a55-2f1d1bd0e001", f.Message, StringComparison.Ordinal);
        Assert.Null(v.Log);
    }

    [Fact]
    public void Another_pcr_selection_is_signed_but_fails_as_the_nodes_own_and_the_log_is_not_checked()
    {
        EvidenceVerification v = EvidenceVerifier.Verify(_enrolled, Terms(TpmlPcrSelection.Create((TpmAlgId.Sha256, Enumerable.Range(0, 16)))), Quote());

        Assert.True(v.Authenticated);
        Assert.False(v.Passed);
        Assert.Equal([EvidenceCode.PcrSelectionMismatch], v.Findings.Select(f => f.Code));
        Assert.Null(v.Log);
        Assert.False(v.NeedsLog);
    }

    [Fact]
    public void A_log_changed_in_the_message_is_refused_before_the_quote()
    {
        NodeEvidence genuine = Quote();
        byte[] edited = (byte[])Log.Clone();
        edited[^1] ^= 1;

        EvidenceVerification v = EvidenceVerifier.Verify(_enrolled, Terms(), genuine with { EventLog = edited });

        Assert.False(v.Authenticated);
        EvidenceFinding f = Assert.Single(v.Findings);
        Assert.Equal(EvidenceCode.EventLogDigestMismatch, f.Code);
        Assert.Contains($"the message names {Convert.ToHexStringLower(genuine.EventLogSha256)}", f.Message, StringComparison.Ordinal);
        Assert.Null(v.Quote);
    }

    [Fact]
    public void A_pcr_that_does_not_replay_takes_its_events_out_of_the_verified_log_and_leaves_the_others()
    {
        // The TPM quoted another PCR 4 (another boot application) than the log's events extend to.
        var pcrs = Pcrs.ToDictionary(kv => kv.Key, kv => kv.Key == 4 ? SHA256.HashData("another boot"u8) : kv.Value);
        EvidenceVerification v = EvidenceVerifier.Verify(_enrolled, Terms(), Quote(pcrs: pcrs));

        Assert.True(v.Authenticated);
        Assert.False(v.Passed);
        EvidenceFinding f = Assert.Single(v.Findings);
        Assert.Equal(EvidenceCode.EventLogReplayMismatch, f.Code);
        Assert.StartsWith("PCR sha256:4: the event log replays to ", f.Message, StringComparison.Ordinal);
        Assert.Equal(4, Assert.Single(v.LogCheck!.Mismatches).Pcr);
        Assert.Equal(4u, v.LogCheck.FirstBrokenEvent!.Pcr);

        ParsedEventLog parsed = v.UntrustedLog!;
        ushort sha256 = (ushort)TpmAlgId.Sha256;
        Assert.NotEmpty(Extended(parsed, sha256, e => e.PcrIndex == 4));
        Assert.DoesNotContain(v.Log!.Events, e => e.PcrIndex == 4);
        Assert.Equal(Extended(parsed, sha256, e => e.PcrIndex != 4), v.Log.Events.Select(e => e.Index));
        Assert.Contains(v.Log.Events, e => e.PcrIndex == 7);
        Assert.DoesNotContain(4, v.Log.Pcrs);
        Assert.False(v.Log.Replay.Succeeded);
    }

    [Fact]
    public void A_log_without_the_quoted_bank_proves_nothing()
    {
        // A SHA-1-only log (legacy format) under a sha256 quote: no PCR of it can be checked.
        byte[] sha1Log = SharedLogs.Bytes("gcp-debian10-sb-sha1log");
        EvidenceVerification v = EvidenceVerifier.Verify(_enrolled, Terms(), Quote(log: sha1Log));

        Assert.True(v.Authenticated);
        EvidenceFinding f = Assert.Single(v.Findings);
        Assert.Equal(EvidenceCode.EventLogReplayMismatch, f.Code);
        Assert.Equal("the event log has no bank the quote covers (log banks: sha1; quoted: sha256): it proves nothing.", f.Message);
        Assert.Empty(v.Log!.Events);
    }

    [Fact]
    public void An_empty_log_is_malformed_and_nothing_is_verified()
    {
        EvidenceVerification v = EvidenceVerifier.Verify(_enrolled, Terms(), Quote(log: []));

        Assert.True(v.Authenticated);
        Assert.Equal([EvidenceCode.EventLogMalformed], v.Findings.Select(f => f.Code));
        Assert.Contains("the log is empty", v.Findings[0].Message, StringComparison.Ordinal);
        Assert.Null(v.Log);
        Assert.False(v.NeedsLog);
    }

    [Fact]
    public void Without_a_log_the_quote_is_judged_and_the_log_is_what_is_needed_next()
    {
        NodeEvidence noLog = Quote() with { EventLog = null };
        EvidenceVerification quote = EvidenceVerifier.Verify(_enrolled, Terms(), noLog);

        Assert.True(quote.NeedsLog);
        Assert.False(quote.Passed);
        Assert.Null(quote.Log);

        EvidenceVerification full = EvidenceVerifier.VerifyLog(quote, EventLogParser.Parse(Log));
        Assert.True(full.Passed);
        Assert.NotEmpty(full.Log!.Events);
    }

    [Fact]
    public void A_clock_below_the_challenges_floor_is_the_nodes_failure()
    {
        EvidenceVerification v = EvidenceVerifier.Verify(_enrolled, Terms(floor: new TpmsClockInfo(9000, 3, 0, false)), Quote());

        Assert.True(v.Authenticated);
        EvidenceFinding f = Assert.Single(v.Findings);
        Assert.Equal((EvidenceCode.ClockWentBackwards, "clock went backwards: 5000 after 9000 (resetCount 3, restartCount 0)."), (f.Code, f.Message));
        Assert.Null(v.Log);
    }

    [Theory]
    [InlineData("gcp-cos85-sev-attested")]
    [InlineData("qemu-fedora37-sdboot")]
    [InlineData("gcp-rhel8-sb")]
    [InlineData("thinkpad-keylime-loc3")]
    [InlineData("gcp-windows-sha1log")]
    public void A_real_log_replayed_against_its_machines_pcrs_is_verified_whole(string name)
    {
        ParsedEventLog log = EventLogParser.Parse(SharedLogs.Bytes(name));
        IReadOnlyDictionary<TpmAlgId, IReadOnlyDictionary<int, byte[]>> actual = SharedLogs.Actual(SharedLogs.Sidecar(name));

        LogVerification v = EvidenceVerifier.Replay(log, actual);

        Assert.True(v.Passed, string.Join("; ", v.Findings));
        Assert.True(v.Log.Replay.Succeeded);
        HashSet<ushort> banks = v.Log.Replay.Checks.Select(c => c.AlgorithmId).ToHashSet();
        int[] expected = log.UntrustedEvents.Where(e => e.EventType != TcgEventType.EV_NO_ACTION && e.PcrIndex < 24 && banks.Any(b => e.TryGetDigest(b, out _)))
            .Select(e => e.Index).ToArray();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, v.Log.Events.Select(e => e.Index));
        Assert.Equal(EventLogReplayer.Replay(log).Pcr0StartLocality, v.Log.Pcr0StartLocality);
    }

    [Fact]
    public void An_ak_imported_once_verifies_as_the_enrolled_bytes_do()
    {
        using var imported = new QuoteVerifier(TpmtPublic.Parse(_enrolled.Public));
        NodeEvidence genuine = Quote() with { EventLog = null };
        Assert.True(EvidenceVerifier.VerifyQuote(imported, _enrolled.Name, Terms(), genuine).NeedsLog);

        byte[] forged = (byte[])genuine.Signature.Clone();
        forged[^1] ^= 1;
        EvidenceVerification v = EvidenceVerifier.VerifyQuote(imported, _enrolled.Name, Terms(), genuine with { Signature = forged });
        Assert.Equal([EvidenceCode.SignatureInvalid], v.Findings.Select(f => f.Code));

        // The log digest is still checked first.
        byte[] edited = (byte[])Log.Clone();
        edited[0] ^= 1;
        Assert.Equal([EvidenceCode.EventLogDigestMismatch],
            EvidenceVerifier.VerifyQuote(imported, _enrolled.Name, Terms(), Quote() with { EventLog = edited }).Findings.Select(f => f.Code));
    }

    [Fact]
    public void Only_the_evidence_verifier_can_make_a_verified_log()
    {
        Assert.Empty(typeof(VerifiedEventLog).GetConstructors(BindingFlags.Public | BindingFlags.Instance));
        Assert.Empty(typeof(LogVerification).GetConstructors(BindingFlags.Public | BindingFlags.Instance));
        Assert.Empty(typeof(EvidenceVerification).GetConstructors(BindingFlags.Public | BindingFlags.Instance));
    }

    [Fact]
    public void Every_quote_finding_code_has_an_evidence_code_and_only_selection_and_signer_are_the_nodes_own()
    {
        string[] codes = typeof(QuoteFindingCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToArray();
        Assert.True(codes.Length >= 20);
        foreach (string code in codes)
        {
            EvidenceCode mapped = EvidenceVerifier.CodeOf(code);
            bool nodesOwn = !EvidenceVerifier.Unauthenticated(Findings.Finding.Failure(code, ""));
            Assert.Equal(mapped is EvidenceCode.PcrSelectionMismatch or EvidenceCode.QualifiedSignerMismatch, nodesOwn);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => EvidenceVerifier.CodeOf("SomeNewCheck"));
    }
}
