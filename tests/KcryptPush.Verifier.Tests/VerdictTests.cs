using System.Security.Cryptography;
using System.Text;
using KcryptPush.Attestation.BootPolicy;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Contracts.V1;
using KcryptPush.Tpm.Crypto;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;
using KcryptPush.Verifier.Attestation;
using KcryptPush.Verifier.Policies;
using KcryptPush.Verifier.Store;
using KcryptPush.Verifier.Verdicts;

namespace KcryptPush.Verifier.Tests;

/// <summary>Budget, secrets, silence, challenges across restarts, measured-boot policy.</summary>
[Trait("Category", "Unit")]
public sealed class VerdictTests : IDisposable
{
    private readonly PipelineHarness _h = new(new VerifierOptions { Interval = TimeSpan.FromSeconds(10), SilentIntervals = 5 });

    public void Dispose() => _h.Dispose();

    [Fact]
    public void The_attestation_budget_terminates_the_node_after_its_passes()
    {
        _h.Store.SetMaxAttestations(_h.TpmHash, 2, "alice", _h.Now);

        AttestationOutcome first = _h.Attest();
        Assert.IsType<NodeTrusted>(first.Verdict);
        Assert.NotNull(first.Result.NextChallenge);

        AttestationOutcome second = _h.Attest(withLog: false);
        Assert.Equal(AttestationVerdicts.Pass, second.Result.Verdict); // the last pass still passes (and may carry secrets)
        Assert.Null(second.Result.NextChallenge);
        NodeTerminated t = Assert.IsType<NodeTerminated>(second.Verdict);
        Assert.Equal((2, NodeStates.Trusted), (t.Attestations, t.PreviousState));
        Assert.Equal(NodeStates.Terminated, _h.Record.State);

        AttestationOutcome after = _h.Attest(withLog: false);
        Assert.Equal(AttestationVerdicts.Terminated, after.Result.Verdict);
        Assert.Equal(AttestationReasonCodes.NodeNotAttesting, Assert.Single(after.Result.Reasons).Code);
        Assert.Null(after.Result.NextChallenge);
        Assert.Null(after.Verdict);

        // Its silence is no alarm.
        _h.Time.Advance(TimeSpan.FromHours(1));
        Assert.Empty(new SilenceDetector(_h.Store, _h.Options, _h.Time).Scan());
    }

    [Fact]
    public void Secrets_are_sealed_to_the_nodes_ek_only_when_asked_and_passing()
    {
        _h.Store.SetSecret(_h.TpmHash, "COS_PERSISTENT", Encoding.UTF8.GetBytes("hunter2"), "alice", _h.Now);

        AttestationOutcome plain = _h.Attest();
        Assert.Null(plain.Result.Secrets);

        QuoteSubmitted askQuote = _h.Quote(_h.Challenge(), withLog: false, wanted: ["COS_PERSISTENT", "COS_OEM"]);
        AttestationOutcome asked = _h.Pipeline.Evaluate(askQuote);
        SealedSecret s = Assert.Single(asked.Result.Secrets!);
        Assert.Equal("COS_PERSISTENT", s.Label);
        Assert.Equal(["COS_OEM"], asked.Result.MissingSecrets!);
        Assert.DoesNotContain("hunter2", Encoding.UTF8.GetString(s.Ciphertext), StringComparison.Ordinal);

        // The EK holder recovers the key as TPM2_ActivateCredential would with the release key the quote
        // signed (its Name, not the AK's, is what the credential is bound to), and opens the secret.
        byte[] releaseKeyName = TpmtPublic.Parse(askQuote.ReleaseKeyPublic!).ComputeName();
        Assert.Throws<Xunit.Sdk.EqualException>(() => ActivateWithSoftwareEk(_h.Ek, s, _h.AkName));   // its outer HMAC check fails: the HMAC covers the release key's Name
        byte[] key = ActivateWithSoftwareEk(_h.Ek, s, releaseKeyName);
        Assert.Equal("hunter2", Encoding.UTF8.GetString(SecretSeal.Open(key, _h.TpmHash, s.Label, s.Nonce, s.Ciphertext, s.Tag)));

        // Failing: nothing released.
        _h.Store.SetPcrPolicy(_h.TpmHash, "sha256", 0, PolicyModes.Enforce, new string('0', 64), "alice", _h.Now);
        AttestationOutcome failed = _h.Attest(withLog: false, wanted: ["COS_PERSISTENT"]);
        Assert.Equal(AttestationVerdicts.Fail, failed.Result.Verdict);
        Assert.Null(failed.Result.Secrets);
    }

    [Fact]
    public void A_repeated_discovery_message_gets_no_secret_once_the_node_is_quarantined_and_nothing_after_expiry()
    {
        _h.Store.SetSecret(_h.TpmHash, "COS_PERSISTENT", Encoding.UTF8.GetBytes("hunter2"), "alice", _h.Now);
        _h.Attest();
        QuoteSubmitted discovery = _h.Quote(_h.Challenge(), withLog: false, wanted: ["COS_PERSISTENT"]);
        Assert.Single(_h.Pipeline.Evaluate(discovery).Result.Secrets!);
        Assert.Single(_h.Pipeline.Evaluate(discovery).Result.Secrets!);   // an honest redelivery, node still trusted

        NodeAttestation rec = _h.Record;
        rec.State = NodeStates.Quarantined;
        rec.OperatorQuarantine = "disk reported stolen";
        _h.Store.Save(rec);
        AttestationOutcome afterQuarantine = _h.Pipeline.Evaluate(discovery);
        Assert.Null(afterQuarantine.Result.Secrets);

        _h.Time.Advance(TimeSpan.FromMinutes(3));   // past the challenge's expiry
        AttestationOutcome late = _h.Pipeline.Evaluate(discovery);
        Assert.Equal(AttestationVerdicts.Fail, late.Result.Verdict);
        Assert.Equal(AttestationReasonCodes.ChallengeExpired, Assert.Single(late.Result.Reasons).Code);
        Assert.Null(late.Result.Secrets);
    }

    [Fact]
    public void A_node_without_evidence_for_n_intervals_is_reported_silent_once()
    {
        var detector = new SilenceDetector(_h.Store, _h.Options, _h.Time);
        _h.Attest();
        _h.Time.Advance(TimeSpan.FromSeconds(49));
        Assert.Empty(detector.Scan());

        _h.Time.Advance(TimeSpan.FromSeconds(2));
        NodeSilent silent = Assert.Single(detector.Scan());
        Assert.Equal((NodeStates.Trusted, 5), (silent.PreviousState, silent.Intervals));
        Assert.NotNull(silent.LastSeen);
        Assert.Equal(NodeStates.Silent, _h.Record.State);
        Assert.Empty(detector.Scan());

        // Evidence again: trusted, with an event.
        NodeTrusted back = Assert.IsType<NodeTrusted>(_h.Attest(withLog: false).Verdict);
        Assert.Equal(NodeStates.Silent, back.PreviousState);
    }

    [Fact]
    public void A_scan_leaves_an_enrolled_node_that_never_attested_alone_until_it_is_silent()
    {
        // Enrolled, no record yet: before its silence the scan must not take the node's unit (it did,
        // for every such node on every scan: 100,000 units a scan on a fleet loaded from the registrar).
        // Another thread holds the unit, so a scan that takes it cannot finish.
        var detector = new SilenceDetector(_h.Store, _h.Options, _h.Time);
        _h.Time.Advance(TimeSpan.FromSeconds(49));
        using (_h.Store.BeginNode(_h.TpmHash))
        {
            IReadOnlyList<NodeSilent>? found = null;
            var scan = new Thread(() => found = detector.Scan()) { IsBackground = true };
            scan.Start();
            Assert.True(scan.Join(TimeSpan.FromSeconds(30)), "the scan waited for the unit of a node that is not silent");
            Assert.Empty(found!);
        }

        _h.Time.Advance(TimeSpan.FromSeconds(2));
        NodeSilent silent = Assert.Single(detector.Scan());
        Assert.Equal((NodeStates.Pending, 5), (silent.PreviousState, silent.Intervals));
    }

    [Fact]
    public void Issued_challenges_survive_a_restart_and_answer_quotes()
    {
        Challenge c = _h.Issuer.Issue(_h.TpmHash);
        _h.Restart();
        ChallengeRecord r = _h.Store.FindChallenge(c.ChallengeId)!;
        Assert.Equal(c.Nonce, r.Nonce);
        Assert.Equal(c.ExpiresAt, new DateTimeOffset(r.ExpiresAt.ToUniversalTime(), TimeSpan.Zero));
        Assert.Equal(["sha1", "sha256"], r.Selection.Select(s => s.Bank));
        Assert.NotEqual(c.Nonce, _h.Issuer.Issue(_h.TpmHash).Nonce);
    }

    [Fact]
    public void History_is_bounded_per_node()
    {
        _h.Restart(new VerifierStoreOptions { HistoryLength = 3, SecretKey = _h.SecretKey });
        IVerifierStore small = _h.Store;
        for (int i = 0; i < 5; i++)
        {
            small.AddHistory(new HistoryRecord { TpmHash = _h.TpmHash, At = _h.Now, Verdict = AttestationVerdicts.Pass, Clock = i });
        }

        IReadOnlyList<HistoryRecord> kept = small.History(_h.TpmHash);
        Assert.Equal([4L, 3L, 2L], kept.Select(h => h.Clock));
    }

    [Fact]
    public void A_measured_boot_policy_from_the_known_good_log_passes_and_a_stricter_one_fails_naming_the_event()
    {
        ParsedEventLog log = EventLogParser.Parse(RealEvidence.EventLog);
        MeasuredBootPolicy good = BootPolicyFactory.Create(log, new BootPolicyOptions { Banks = [(ushort)TpmAlgId.Sha256] });
        _h.Store.SetBootPolicy(_h.TpmHash, BootPolicyJson.Write(good), "alice", _h.Now);
        AttestationPipeline pipeline = PipelineWithBootPolicy();
        Assert.Equal(AttestationVerdicts.Pass, pipeline.Evaluate(_h.Quote(_h.Challenge())).Result.Verdict);

        var strict = new MeasuredBootPolicy
        {
            Banks = good.Banks,
            SecureBoot = good.SecureBoot == SecureBootState.Enabled ? SecureBootState.Disabled : SecureBootState.Enabled,
            Variables = good.Variables,
            BootApplications = good.BootApplications,
            Ipl = good.Ipl,
            Separators = good.Separators,
        };
        _h.Store.SetBootPolicy(_h.TpmHash, BootPolicyJson.Write(strict), "alice", _h.Now);
        AttestationOutcome o = pipeline.Evaluate(_h.Quote(_h.Challenge(), withLog: false));
        Assert.Equal(AttestationVerdicts.Fail, o.Result.Verdict);
        Assert.All(o.Result.Reasons, r => Assert.Equal(AttestationReasonCodes.BootPolicyViolation, r.Code));
        NodeQuarantined q = Assert.IsType<NodeQuarantined>(o.Verdict);
        Assert.NotNull(q.FirstBrokenEvent);
    }

    private AttestationPipeline PipelineWithBootPolicy() => new(_h.Store, _h.Issuer, _h.Options,
        [new AkPolicy(), new PcrSelectiveEnrollmentPolicy(), new MeasuredBootNodePolicy(), new AttestationBudgetPolicy()], _h.Time);

    // TPM2_ActivateCredential in software for an RSA EK (TPM 2.0 Part 1 §24): OAEP-decrypt the seed with
    // label "IDENTITY\0", check the outer HMAC over encIdentity ‖ AK Name, AES-CFB-decrypt the credential.
    private static byte[] ActivateWithSoftwareEk(RSA ek, SealedSecret s, byte[] akName)
    {
        byte[] seed = RsaOaepLabelDecrypt(ek, s.EncryptedSecret);
        int hmacSize = (s.CredentialBlob[0] << 8) | s.CredentialBlob[1];
        byte[] outerHmac = s.CredentialBlob[2..(2 + hmacSize)];
        byte[] encIdentity = s.CredentialBlob[(2 + hmacSize)..];
        byte[] hmacKey = KeyDerivation.Kdfa(HashAlgorithmName.SHA256, seed, "INTEGRITY", [], [], 256);
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, hmacKey);
        hmac.AppendData(encIdentity);
        hmac.AppendData(akName);
        Assert.Equal(outerHmac, hmac.GetHashAndReset());
        byte[] symKey = KeyDerivation.Kdfa(HashAlgorithmName.SHA256, seed, "STORAGE", akName, [], 128);
        byte[] plain = TpmAesCfb.Decrypt(symKey, encIdentity);
        return plain[2..];
    }

    // RSA-OAEP-SHA256 with a label: .NET has no label parameter, so undo it by hand (RFC 8017 §7.1.2).
    private static byte[] RsaOaepLabelDecrypt(RSA key, byte[] ciphertext)
    {
        byte[] em = RawDecrypt(key, ciphertext);
        const int hLen = 32;
        byte[] maskedSeed = em[1..(1 + hLen)];
        byte[] maskedDb = em[(1 + hLen)..];
        byte[] seed = Xor(maskedSeed, Mgf1(maskedDb, hLen));
        byte[] db = Xor(maskedDb, Mgf1(seed, maskedDb.Length));
        Assert.Equal(SHA256.HashData("IDENTITY\0"u8), db[..hLen]);
        int i = hLen;
        while (db[i] == 0)
        {
            i++;
        }

        Assert.Equal(1, db[i]);
        return db[(i + 1)..];
    }

    private static byte[] RawDecrypt(RSA key, byte[] c)
    {
        RSAParameters p = key.ExportParameters(true);
        var n = new System.Numerics.BigInteger(p.Modulus, isUnsigned: true, isBigEndian: true);
        var d = new System.Numerics.BigInteger(p.D, isUnsigned: true, isBigEndian: true);
        var m = System.Numerics.BigInteger.ModPow(new System.Numerics.BigInteger(c, isUnsigned: true, isBigEndian: true), d, n);
        byte[] raw = m.ToByteArray(isUnsigned: true, isBigEndian: true);
        byte[] em = new byte[p.Modulus!.Length];
        raw.CopyTo(em, em.Length - raw.Length);
        return em;
    }

    private static byte[] Mgf1(byte[] seed, int length)
    {
        var output = new List<byte>();
        for (uint counter = 0; output.Count < length; counter++)
        {
            output.AddRange(SHA256.HashData([.. seed, (byte)(counter >> 24), (byte)(counter >> 16), (byte)(counter >> 8), (byte)counter]));
        }

        return output.Take(length).ToArray();
    }

    private static byte[] Xor(byte[] a, byte[] b) => a.Select((x, i) => (byte)(x ^ b[i])).ToArray();
}
