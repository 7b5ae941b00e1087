using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Tpm.Client;
using KcryptPush.Tpm.Commands;
using KcryptPush.Tpm.Crypto;
using KcryptPush.Tpm.Errors;
using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Release;
using KcryptPush.Tpm.Sessions;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Integration.Tests.Release;

/// <summary>
/// The release key (TPM-FACTS §8a) against swtpm and tpm2-tools 5.4, an independent implementation of
/// the policy commands (TPM 2.0 Part 3 §23.7, §23.10, §23.11) and of credential protection (Part 1
/// "Credential Protection"):
/// - <see cref="ReleaseKeyPolicy.Compute"/> equals the digest of a tpm2-tools trial session, for one
///   bank and for two banks (sha1 and sha256 in one TPML_PCR_SELECTION);
/// - <see cref="PolicySession.ForReleaseKey"/> leaves the same digest in a real session on swtpm;
/// - tpm2_createprimary -C n with that policy gives our release key's Name; a credential from our
///   MakeCredential opens with tpm2_activatecredential and one from tpm2_makecredential opens with our
///   ActivateWithReleaseKey;
/// - a PCR extend, or a TPM Reset, makes the credential unopenable with a typed TpmException.
/// swtpm serves one client at a time: our TpmClient is always closed before tpm2-tools runs.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ReleaseKeyCrossCheckTests : IClassFixture<SwtpmClassFixture>
{
    private const string AllBootPcrs = "sha256:0,1,2,3,4,5,6,7";

    // tpm2_policypcr 5.4 accepts two banks but refuses more than 8 PCRs in all ("Number of PCR is limited
    // to 8", with or without -f: a tool limit, one TPML_DIGEST of TPM2_PCR_Read). So the cross-checks with
    // tpm2-tools' policy use 8 PCRs over two banks; swtpm's TPM2_PolicyPCR itself takes the 11 of
    // WideTwoBanks, which the tests that replay the policy with our own session use.
    private const string TwoBanks = "sha1:0,4,7+sha256:0,1,4,6,7";
    private const string WideTwoBanks = "sha1:0,4,7+sha256:0,1,2,3,4,5,6,7";

    private readonly SwtpmClassFixture _f;

    public ReleaseKeyCrossCheckTests(SwtpmClassFixture fixture) => _f = fixture;

    [Theory]
    [InlineData(AllBootPcrs)]
    [InlineData(TwoBanks)]
    public void Compute_equals_the_digest_of_a_tpm2_tools_trial_session(string toolsSelection)
    {
        TpmlPcrSelection selection = ParseSelection(toolsSelection);
        string d = Tag("trial", toolsSelection);
        ExtendSomePcrs(_f.Tpm);
        uint resetCount = ToolsResetCount(_f.Tools);
        byte[] valuesDigest = CurrentValuesDigest(_f.Tpm, selection);

        // Without -f tpm2_policypcr reads the PCRs itself: the values are not handed over from our side.
        Shell(_f,
            $"tpm2_startauthsession -S {d}.ctx",
            $"tpm2_policypcr -S {d}.ctx -l {toolsSelection} -L {d}-pcr.dig > /dev/null",
            $"tpm2_policycountertimer -S {d}.ctx --eq resets={resetCount} -L {d}-ct.dig > /dev/null",
            $"tpm2_policycommandcode -S {d}.ctx -L {d}.dig TPM2_CC_ActivateCredential > /dev/null");

        // Each step on its own, so a mismatch names the assertion that differs.
        byte[] afterPcr = ReleaseKeyPolicy.AfterPolicyPcr(new byte[32], selection, valuesDigest);
        Assert.Equal(Hex(afterPcr), Hex(File.ReadAllBytes(_f.Tools.PathOf($"{d}-pcr.dig"))));
        // tpm2-tools' "resets=N" is operandB = N as a big-endian UINT32 at offset 16 with TPM_EO_EQ:
        // the same bytes as ReleaseKeyPolicy.CounterTimerOperand (checked here, not assumed).
        byte[] afterCounter = ReleaseKeyPolicy.AfterPolicyCounterTimer(
            afterPcr, ReleaseKeyPolicy.CounterTimerOperand(resetCount), ReleaseKeyPolicy.ResetCountOffset, ReleaseKeyPolicy.OperationEqual);
        Assert.Equal(Hex(afterCounter), Hex(File.ReadAllBytes(_f.Tools.PathOf($"{d}-ct.dig"))));
        Assert.Equal(
            Hex(ReleaseKeyPolicy.Compute(selection, valuesDigest, resetCount)),
            Hex(File.ReadAllBytes(_f.Tools.PathOf($"{d}.dig"))));
        AssertNothingLoaded(_f.Tpm);
    }

    [Theory]
    [InlineData(AllBootPcrs)]
    [InlineData(TwoBanks)]
    [InlineData(WideTwoBanks)]
    public void ForReleaseKey_leaves_the_computed_digest_in_a_real_session_on_swtpm(string toolsSelection)
    {
        TpmlPcrSelection selection = ParseSelection(toolsSelection);
        ExtendSomePcrs(_f.Tpm);
        using (TpmClient tpm = TpmClient.Open(_f.Tpm.TpmUri))
        {
            uint resetCount = tpm.Channel.ReadClock().ResetCount;
            byte[] expected = ReleaseKeyPolicy.Compute(selection, ValuesDigest(tpm, selection), resetCount);

            using PolicySession session = PolicySession.ForReleaseKey(tpm.Channel, selection, resetCount);

            Assert.Equal(TpmAlgId.Sha256, session.HashAlg);
            Assert.Equal(Hex(expected), Hex(session.GetDigest()));

            // In a real (not trial) session PolicyCounterTimer compares: another boot's resetCount is
            // refused with TPM_RC_POLICY (Part 3 §23.10), and the session started for it is flushed.
            TpmException e = Assert.Throws<TpmException>(() => PolicySession.ForReleaseKey(tpm.Channel, selection, resetCount + 1));
            Assert.Equal(TpmRc.Policy, e.Code);
            Assert.Equal("TPM2_PolicyCounterTimer", e.Command);
        }
        AssertNothingLoaded(_f.Tpm);
    }

    /// <summary>
    /// Our template and tpm2-tools' <c>-C n -G ecc256 -g sha256 -a "fixedtpm|fixedparent|sensitivedataorigin|adminwithpolicy|sign"</c>
    /// give the same TPMT_PUBLIC (symmetric, scheme and kdf NULL, empty unique) and the NULL seed is the same
    /// for the whole boot, so the same Name: tpm2-tools' own key stands in for ours, with a policy it computed
    /// itself in a trial session. Its policy session replays the three assertions for the ADMIN role.
    /// </summary>
    [Theory]
    [InlineData(EkKind.Rsa2048, "rsa", AllBootPcrs)]
    [InlineData(EkKind.EccP256, "ecc", TwoBanks)]
    public void Our_credential_to_our_release_key_opens_with_tpm2_activatecredential(EkKind kind, string toolsEk, string toolsSelection)
    {
        TpmlPcrSelection selection = ParseSelection(toolsSelection);
        string d = Tag($"ours-{toolsEk}", toolsSelection);
        byte[] secret = RandomNumberGenerator.GetBytes(32);
        ExtendSomePcrs(_f.Tpm);
        uint resetCount;
        byte[] releaseKeyName;
        CredentialBlob blob;
        using (TpmClient tpm = TpmClient.Open(_f.Tpm.TpmUri))
        {
            resetCount = tpm.Channel.ReadClock().ResetCount;
            using TpmKey ek = tpm.CreateEk(kind);
            using TpmKey releaseKey = tpm.CreateReleaseKey(
                ReleaseKeyTemplate.Create(ReleaseKeyPolicy.Compute(selection, ValuesDigest(tpm, selection), resetCount)));
            releaseKeyName = releaseKey.Name;
            blob = MakeCredential.ForEk(ek.Public, releaseKeyName, secret);
        }
        File.WriteAllBytes(_f.Tools.PathOf($"{d}-cred.in"), CredentialFile(blob.IdObject, blob.EncryptedSecret));

        Shell(_f,
            // swtpm holds 3 transient objects and has no resource manager: each tool's key is saved to its
            // context file and flushed, and tpm2_activatecredential loads both back.
            $"tpm2_createek -G {toolsEk} -c {d}-ek.ctx -u {d}-ek.pub",
            "tpm2_flushcontext -t",
            $"tpm2_startauthsession -S {d}-trial.ctx",
            $"tpm2_policypcr -S {d}-trial.ctx -l {toolsSelection} > /dev/null",
            $"tpm2_policycountertimer -S {d}-trial.ctx --eq resets={resetCount} > /dev/null",
            $"tpm2_policycommandcode -S {d}-trial.ctx -L {d}-policy.dig TPM2_CC_ActivateCredential > /dev/null",
            $"tpm2_flushcontext {d}-trial.ctx",
            $"tpm2_createprimary -C n -G ecc256 -g sha256 -L {d}-policy.dig -a 'fixedtpm|fixedparent|sensitivedataorigin|adminwithpolicy|sign' -c {d}-rk.ctx > /dev/null",
            $"tpm2_readpublic -c {d}-rk.ctx -n {d}-rk.name > /dev/null",
            "tpm2_flushcontext -t",
            $"tpm2_startauthsession --policy-session -S {d}-rk-s.ctx",
            $"tpm2_policypcr -S {d}-rk-s.ctx -l {toolsSelection} > /dev/null",
            $"tpm2_policycountertimer -S {d}-rk-s.ctx --eq resets={resetCount} > /dev/null",
            $"tpm2_policycommandcode -S {d}-rk-s.ctx TPM2_CC_ActivateCredential > /dev/null",
            $"tpm2_startauthsession --policy-session -S {d}-ek-s.ctx",
            $"tpm2_policysecret -S {d}-ek-s.ctx -c e > /dev/null",
            $"tpm2_activatecredential -c {d}-rk.ctx -C {d}-ek.ctx -i {d}-cred.in -o {d}-out.bin -p session:{d}-rk-s.ctx -P session:{d}-ek-s.ctx");

        Assert.Equal(Hex(releaseKeyName), Hex(File.ReadAllBytes(_f.Tools.PathOf($"{d}-rk.name"))));
        Assert.Equal(secret, File.ReadAllBytes(_f.Tools.PathOf($"{d}-out.bin")));
        AssertNothingLoaded(_f.Tpm);
    }

    [Theory]
    [InlineData(EkKind.Rsa2048, AllBootPcrs)]
    [InlineData(EkKind.EccP256, TwoBanks)]
    [InlineData(EkKind.EccP384, WideTwoBanks)]
    public void A_tpm2_makecredential_credential_to_our_release_key_opens_with_ActivateWithReleaseKey(EkKind kind, string toolsSelection)
    {
        TpmlPcrSelection selection = ParseSelection(toolsSelection);
        string d = Tag($"theirs-{kind}", toolsSelection);
        byte[] secret = RandomNumberGenerator.GetBytes(32);
        ExtendSomePcrs(_f.Tpm);
        uint resetCount;
        TpmtPublic template;
        byte[] releaseKeyName;
        using (TpmClient tpm = TpmClient.Open(_f.Tpm.TpmUri))
        {
            resetCount = tpm.Channel.ReadClock().ResetCount;
            template = ReleaseKeyTemplate.Create(ReleaseKeyPolicy.Compute(selection, ValuesDigest(tpm, selection), resetCount));
            using TpmKey ek = tpm.CreateEk(kind);
            using TpmKey releaseKey = tpm.CreateReleaseKey(template);
            Assert.Null(ReleaseKeyTemplate.Problem(releaseKey.Public, template.AuthPolicy));
            File.WriteAllBytes(_f.Tools.PathOf($"{d}-ek.pub"), Tpm2b(ek.Public));
            releaseKeyName = releaseKey.Name;
        }
        File.WriteAllBytes(_f.Tools.PathOf($"{d}-secret.bin"), secret);
        ProcessRunner.RunChecked("tpm2_makecredential",
            ["-T", "none", "-e", $"{d}-ek.pub", "-s", $"{d}-secret.bin", "-n", Convert.ToHexStringLower(releaseKeyName), "-o", $"{d}-cred.out"],
            _f.Tools.WorkDirectory);
        (byte[] idObject, byte[] encryptedSecret) = ReadCredentialFile(File.ReadAllBytes(_f.Tools.PathOf($"{d}-cred.out")));

        using (TpmClient tpm = TpmClient.Open(_f.Tpm.TpmUri))
        {
            using TpmKey ek = tpm.CreateEk(kind);
            using TpmKey releaseKey = tpm.CreateReleaseKey(template);
            Assert.Equal(releaseKeyName, releaseKey.Name); // same template, same boot: same key

            byte[] opened = tpm.ActivateWithReleaseKey(releaseKey, ek, selection, resetCount, idObject, encryptedSecret);

            Assert.Equal(secret, opened);
        }
        AssertNothingLoaded(_f.Tpm);
    }

    /// <summary>
    /// One extend of one selected PCR, in the sha256 bank of a one-bank selection or in the sha1 bank of a
    /// two-bank one: PolicyPCR binds the new values, the session's digest is no longer the key's
    /// authPolicy, and ActivateCredential refuses the release key's authorization (TPM_RC_POLICY_FAIL on
    /// session 1, Part 3 §12.5 / Part 1 "Policy Session Authorization"). Nothing is returned and nothing
    /// stays loaded.
    /// </summary>
    [Theory]
    [InlineData(AllBootPcrs, "7:sha256")]
    [InlineData(WideTwoBanks, "4:sha1")]
    public void After_one_pcr_extend_ActivateWithReleaseKey_throws_a_policy_failure(string toolsSelection, string extendedBank)
    {
        TpmlPcrSelection selection = ParseSelection(toolsSelection);
        ExtendSomePcrs(_f.Tpm);
        byte[] secret = RandomNumberGenerator.GetBytes(32);
        uint resetCount;
        TpmtPublic template;
        CredentialBlob blob;
        using (TpmClient tpm = TpmClient.Open(_f.Tpm.TpmUri))
        {
            resetCount = tpm.Channel.ReadClock().ResetCount;
            template = ReleaseKeyTemplate.Create(ReleaseKeyPolicy.Compute(selection, ValuesDigest(tpm, selection), resetCount));
            using TpmKey ek = tpm.CreateEk(EkKind.Rsa2048);
            using TpmKey releaseKey = tpm.CreateReleaseKey(template);
            blob = MakeCredential.ForEk(ek.Public, releaseKey.Name, secret);

            // Control: in the attested state the credential opens, so the failure below is the extend's.
            Assert.Equal(secret, tpm.ActivateWithReleaseKey(
                releaseKey, ek, selection, resetCount, blob.IdObjectContents.Span, blob.EncryptedSecretContents.Span));
        }

        int digestChars = extendedBank.EndsWith("sha1", StringComparison.Ordinal) ? 40 : 64;
        _f.Tools.Run("pcrextend", $"{extendedBank}={Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(digestChars / 2))}");

        byte[]? opened = null;
        using (TpmClient tpm = TpmClient.Open(_f.Tpm.TpmUri))
        {
            using TpmKey ek = tpm.CreateEk(EkKind.Rsa2048);
            using TpmKey releaseKey = tpm.CreateReleaseKey(template);
            TpmException e = Assert.Throws<TpmException>(() => opened = tpm.ActivateWithReleaseKey(
                releaseKey, ek, selection, resetCount, blob.IdObjectContents.Span, blob.EncryptedSecretContents.Span));

            Assert.Equal("TPM2_ActivateCredential", e.Command);
            Assert.Equal(TpmRc.PolicyFail, e.Code);
            Assert.Equal(TpmRcSubject.Session, e.ResponseCode.Subject);
            Assert.Equal(1, e.ResponseCode.Number); // the release key's session, not the EK's
            Assert.Equal(0x99Du, e.ResponseCode.Raw);
        }
        Assert.Null(opened);
        AssertNothingLoaded(_f.Tpm);
    }

    /// <summary>
    /// A TPM Reset (swtpm stopped and started again with Startup(CLEAR) on the same state): resetCount goes
    /// up by one and the NULL hierarchy gets a new seed. With the PCRs extended to the same values again,
    /// the same template gives another Name; PolicyCounterTimer with the old resetCount is refused (ours
    /// and tpm2-tools'); and even a key whose policy is satisfiable in the new boot cannot open the old
    /// credential (it was bound to the old Name: TPM_RC_INTEGRITY).
    /// </summary>
    [Fact]
    public void After_a_tpm_reset_the_release_key_has_another_name_and_the_old_credential_does_not_open()
    {
        using SwtpmInstance swtpm = StartSwtpm();
        using var tools = new Tpm2Tools(swtpm);
        TpmlPcrSelection selection = ParseSelection(WideTwoBanks);
        byte[] secret = RandomNumberGenerator.GetBytes(32);
        List<(int Pcr, TpmAlgId Bank, byte[] Digest)> extends = ExtendSomePcrs(swtpm);
        uint oldResetCount;
        TpmtPublic template;
        byte[] oldName;
        CredentialBlob blob;
        using (TpmClient tpm = TpmClient.Open(swtpm.TpmUri))
        {
            oldResetCount = tpm.Channel.ReadClock().ResetCount;
            template = ReleaseKeyTemplate.Create(ReleaseKeyPolicy.Compute(selection, ValuesDigest(tpm, selection), oldResetCount));
            using TpmKey ek = tpm.CreateEk(EkKind.Rsa2048);
            using TpmKey releaseKey = tpm.CreateReleaseKey(template);
            oldName = releaseKey.Name;
            blob = MakeCredential.ForEk(ek.Public, oldName, secret);
            Assert.Equal(secret, tpm.ActivateWithReleaseKey(
                releaseKey, ek, selection, oldResetCount, blob.IdObjectContents.Span, blob.EncryptedSecretContents.Span));
        }

        swtpm.Restart();
        using (TpmClient tpm = TpmClient.Open(swtpm.TpmUri))
        {
            foreach ((int pcr, TpmAlgId bank, byte[] digest) in extends)
            {
                tpm.ExtendPcr(pcr, bank, digest);
            }
        }

        Assert.Equal(oldResetCount + 1, ToolsResetCount(tools));
        ProcessResult toolsOldCount = RunShell(swtpm, tools,
            "tpm2_startauthsession --policy-session -S old.ctx",
            $"tpm2_policycountertimer -S old.ctx --eq resets={oldResetCount}");
        Assert.NotEqual(0, toolsOldCount.ExitCode);
        Assert.Contains("0x126", toolsOldCount.StdErr, StringComparison.OrdinalIgnoreCase); // TPM_RC_POLICY

        using (TpmClient tpm = TpmClient.Open(swtpm.TpmUri))
        {
            uint newResetCount = tpm.Channel.ReadClock().ResetCount;
            Assert.Equal(oldResetCount + 1, newResetCount);
            byte[] valuesDigest = ValuesDigest(tpm, selection);
            Assert.Equal(Hex(template.AuthPolicy), Hex(ReleaseKeyPolicy.Compute(selection, valuesDigest, oldResetCount))); // same PCR values again
            using TpmKey ek = tpm.CreateEk(EkKind.Rsa2048);

            using (TpmKey sameTemplate = tpm.CreateReleaseKey(template))
            {
                Assert.NotEqual(Hex(oldName), Hex(sameTemplate.Name));
                TpmException old = Assert.Throws<TpmException>(() => tpm.ActivateWithReleaseKey(
                    sameTemplate, ek, selection, oldResetCount, blob.IdObjectContents.Span, blob.EncryptedSecretContents.Span));
                Assert.Equal(TpmRc.Policy, old.Code);
                Assert.Equal("TPM2_PolicyCounterTimer", old.Command);
            }

            TpmtPublic thisBoot = ReleaseKeyTemplate.Create(ReleaseKeyPolicy.Compute(selection, valuesDigest, newResetCount));
            using (TpmKey usable = tpm.CreateReleaseKey(thisBoot))
            {
                TpmException e = Assert.Throws<TpmException>(() => tpm.ActivateWithReleaseKey(
                    usable, ek, selection, newResetCount, blob.IdObjectContents.Span, blob.EncryptedSecretContents.Span));
                Assert.Equal("TPM2_ActivateCredential", e.Command);
                Assert.Equal(TpmRc.Integrity, e.Code);

                // The same key does open a credential made to its own Name in this boot.
                CredentialBlob fresh = MakeCredential.ForEk(ek.Public, usable.Name, secret);
                Assert.Equal(secret, tpm.ActivateWithReleaseKey(
                    usable, ek, selection, newResetCount, fresh.IdObjectContents.Span, fresh.EncryptedSecretContents.Span));
            }
        }
        AssertNothingLoaded(swtpm);
    }

    private static SwtpmInstance StartSwtpm()
    {
        // As SwtpmClassFixture: a random port may be taken between the check and the bind.
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return SwtpmInstance.Start();
            }
            catch (InvalidOperationException) when (attempt < 5)
            {
            }
        }
    }

    /// <summary>Extends PCRs 0, 4 and 7 of both banks with random digests, so no selected bank is all zeros.</summary>
    private static List<(int Pcr, TpmAlgId Bank, byte[] Digest)> ExtendSomePcrs(SwtpmInstance swtpm)
    {
        var extends = new List<(int, TpmAlgId, byte[])>();
        using TpmClient tpm = TpmClient.Open(swtpm.TpmUri);
        foreach (int pcr in new[] { 0, 4, 7 })
        {
            foreach ((TpmAlgId bank, int size) in new[] { (TpmAlgId.Sha1, 20), (TpmAlgId.Sha256, 32) })
            {
                byte[] digest = RandomNumberGenerator.GetBytes(size);
                tpm.ExtendPcr(pcr, bank, digest);
                extends.Add((pcr, bank, digest));
            }
        }
        return extends;
    }

    private static byte[] CurrentValuesDigest(SwtpmInstance swtpm, TpmlPcrSelection selection)
    {
        using TpmClient tpm = TpmClient.Open(swtpm.TpmUri);
        return ValuesDigest(tpm, selection);
    }

    private static byte[] ValuesDigest(TpmClient tpm, TpmlPcrSelection selection)
    {
        Dictionary<(TpmAlgId, int), byte[]> values = tpm.ReadPcrs(selection).ToDictionary(v => (v.Bank, v.Index), v => v.Digest);
        Assert.Contains(values.Values, v => v.Any(b => b != 0)); // some were extended: not only reset values
        byte[]? digest = ReleaseKeyPolicy.PcrValuesDigest(selection, (bank, pcr) => values.GetValueOrDefault((bank, pcr)));
        Assert.NotNull(digest);
        return digest;
    }

    /// <summary>resetCount as tpm2_readclock prints it (clock_info.reset_count), not through our client.</summary>
    private static uint ToolsResetCount(Tpm2Tools tools)
    {
        string output = tools.Run("readclock").StdOut;
        Match m = Regex.Match(output, @"reset_count:\s*(\d+)");
        Assert.True(m.Success, output);
        return uint.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>"sha1:0,4+sha256:0,1" (tpm2-tools' -l syntax) → the same TPML_PCR_SELECTION, in that order.</summary>
    private static TpmlPcrSelection ParseSelection(string toolsSelection) =>
        new(toolsSelection.Split('+').Select(bank =>
        {
            string[] parts = bank.Split(':');
            Assert.True(TpmAlgorithms.TryParsePcrBank(parts[0], out TpmAlgId alg), parts[0]);
            return TpmsPcrSelection.FromIndexes(alg, parts[1].Split(',').Select(p => int.Parse(p, CultureInfo.InvariantCulture)));
        }));

    /// <summary>A file name prefix per test case, so no case reads another's files.</summary>
    private static string Tag(string prefix, string toolsSelection) =>
        $"{prefix}-{Regex.Replace(toolsSelection, "[^a-z0-9]+", "_")}";

    private static void AssertNothingLoaded(SwtpmInstance swtpm)
    {
        using TpmClient tpm = TpmClient.Open(swtpm.TpmUri);
        Assert.Empty(tpm.GetHandles(TpmHandle.TransientFirst));
        Assert.Empty(tpm.GetHandles(TpmHandle.HmacSessionFirst));
        Assert.Empty(tpm.GetHandles(TpmHandle.PolicySessionFirst));
    }

    /// <summary>Runs tpm2-tools commands in one shell (sessions must survive between tools), then flushes; throws on failure.</summary>
    private static void Shell(SwtpmClassFixture f, params string[] commands)
    {
        ProcessResult result = RunShell(f.Tpm, f.Tools, commands);
        Assert.True(result.ExitCode == 0, $"tpm2-tools failed ({result.ExitCode}):\n{result.StdErr}\n{result.StdOut}");
    }

    private static ProcessResult RunShell(SwtpmInstance swtpm, Tpm2Tools tools, params string[] commands)
    {
        try
        {
            return ProcessRunner.Run(
                "sh",
                ["-ec", string.Join("\n", commands)],
                tools.WorkDirectory,
                new Dictionary<string, string> { ["TPM2TOOLS_TCTI"] = swtpm.Tcti });
        }
        finally
        {
            tools.FlushAll();
        }
    }

    /// <summary>tpm2-tools 5.4's credential file: magic 0xBADCC0DE, version 1 (UINT32 big-endian), TPM2B_ID_OBJECT, TPM2B_ENCRYPTED_SECRET.</summary>
    private static byte[] CredentialFile(byte[] idObject, byte[] encryptedSecret)
    {
        byte[] file = new byte[8 + idObject.Length + encryptedSecret.Length];
        BinaryPrimitives.WriteUInt32BigEndian(file, 0xBADCC0DE);
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(4), 1);
        idObject.CopyTo(file.AsSpan(8));
        encryptedSecret.CopyTo(file.AsSpan(8 + idObject.Length));
        return file;
    }

    private static (byte[] IdObject, byte[] EncryptedSecret) ReadCredentialFile(byte[] file)
    {
        var r = new TpmReader(file);
        Assert.Equal(0xBADCC0DEu, r.ReadUInt32("magic"));
        Assert.Equal(1u, r.ReadUInt32("version"));
        byte[] id = r.ReadTpm2b("TPM2B_ID_OBJECT").ToArray();
        byte[] secret = r.ReadTpm2b("TPM2B_ENCRYPTED_SECRET").ToArray();
        r.EnsureAtEnd("credential file");
        return (id, secret);
    }

    private static byte[] Tpm2b(TpmtPublic publicArea)
    {
        var w = new TpmWriter();
        Tpm2bPublic.Write(w, publicArea);
        return w.ToArray();
    }

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
