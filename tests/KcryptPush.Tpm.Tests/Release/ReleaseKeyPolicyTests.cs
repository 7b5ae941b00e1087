using System.Security.Cryptography;
using KcryptPush.Tpm.Client;
using KcryptPush.Tpm.Commands;
using KcryptPush.Tpm.Errors;
using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Release;
using KcryptPush.Tpm.Sessions;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Templates;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Tests.Release;

/// <summary>
/// The release key's pure pieces (policy digest, template check, evidence binding) and the bytes of
/// the policy commands that satisfy it (TPM 2.0 Part 3 §23.7, §23.10, §23.11), against a fake
/// transport. The swtpm/tpm2-tools cross-checks are in the integration project.
/// </summary>
[Trait("Category", "Unit")]
public sealed class ReleaseKeyPolicyTests
{
    private const uint Session = 0x03000000;

    // Known answer from tpm2-tools 5.4 on swtpm (2026-12-07), fresh state, after
    // tpm2_pcrextend 0:sha256=aa…aa,sha1=bb…bb and 7:sha256=cc…cc, in one trial session:
    //   tpm2_policypcr -l sha1:0,7+sha256:0,1,7 -L      → AfterPcr
    //   tpm2_policycountertimer --eq resets=1 -L        → AfterCounterTimer
    //   tpm2_policycommandcode TPM2_CC_ActivateCredential → Policy
    // (tpm2_policypcr read the PCRs itself; the values below are recomputed with the extend rule.)
    private const string KnownAfterPcr = "409c96191fa1ebd197757fec99e552ed8b11c0568ed2449a472f3dc851b02583";
    private const string KnownAfterCounterTimer = "aca17183604bca237b897ba212e260b7670188066f3fbd90839948916311b2c5";
    private const string KnownPolicy = "82a65c43d5732c7fcf753a1955fdbfae7b52fb650c3c69abc3ee24fa3779b74b";

    // tpm2_createprimary -C n -G ecc256 -g sha256 -L <KnownPolicy> -a "fixedtpm|fixedparent|sensitivedataorigin|adminwithpolicy|sign",
    // tpm2_readpublic -o: the TPMT_PUBLIC up to (not including) unique: type ECC, nameAlg SHA-256,
    // attributes 0x000400B2, authPolicy, symmetric NULL, scheme NULL, curve P-256, kdf NULL.
    private const string ToolsPublicBeforeUnique = "0023000b000400b20020" + KnownPolicy + "0010001000030010";

    private static string Hex(ReadOnlySpan<byte> b) => Convert.ToHexStringLower(b);

    private static TpmlPcrSelection KnownSelection =>
        TpmlPcrSelection.Create((TpmAlgId.Sha1, [0, 7]), (TpmAlgId.Sha256, [0, 1, 7]));

    private static byte[]? KnownValue(TpmAlgId bank, int pcr) => (bank, pcr) switch
    {
        (TpmAlgId.Sha1, 0) => SHA1.HashData([.. new byte[20], .. Enumerable.Repeat((byte)0xbb, 20)]),
        (TpmAlgId.Sha1, _) => new byte[20],
        (TpmAlgId.Sha256, 0) => SHA256.HashData([.. new byte[32], .. Enumerable.Repeat((byte)0xaa, 32)]),
        (TpmAlgId.Sha256, 7) => SHA256.HashData([.. new byte[32], .. Enumerable.Repeat((byte)0xcc, 32)]),
        (TpmAlgId.Sha256, _) => new byte[32],
        _ => null,
    };

    // ---- policy digest ----

    [Fact]
    public void Compute_matches_the_digests_tpm2_tools_computed_step_by_step()
    {
        byte[] values = ReleaseKeyPolicy.PcrValuesDigest(KnownSelection, KnownValue)!;

        byte[] afterPcr = ReleaseKeyPolicy.AfterPolicyPcr(new byte[32], KnownSelection, values);
        byte[] afterCounter = ReleaseKeyPolicy.AfterPolicyCounterTimer(
            afterPcr, ReleaseKeyPolicy.CounterTimerOperand(1), ReleaseKeyPolicy.ResetCountOffset, ReleaseKeyPolicy.OperationEqual);

        Assert.Equal(KnownAfterPcr, Hex(afterPcr));
        Assert.Equal(KnownAfterCounterTimer, Hex(afterCounter));
        Assert.Equal(KnownPolicy, Hex(ReleaseKeyPolicy.AfterPolicyCommandCode(afterCounter, TpmCc.ActivateCredential)));
        Assert.Equal(KnownPolicy, Hex(ReleaseKeyPolicy.Compute(KnownSelection, values, 1)));
    }

    [Fact]
    public void The_counter_timer_operand_is_resetCount_as_a_big_endian_uint32_at_offset_16()
    {
        Assert.Equal("00000001", Hex(ReleaseKeyPolicy.CounterTimerOperand(1)));
        Assert.Equal("12345678", Hex(ReleaseKeyPolicy.CounterTimerOperand(0x12345678)));
        Assert.Equal(16, ReleaseKeyPolicy.ResetCountOffset); // TPMS_TIME_INFO: time u64, clock u64, resetCount
        Assert.Equal(0, ReleaseKeyPolicy.OperationEqual);     // TPM_EO_EQ
    }

    [Fact]
    public void The_pcr_values_digest_is_sha256_over_the_values_in_selection_order()
    {
        byte[] expected = SHA256.HashData([
            .. KnownValue(TpmAlgId.Sha1, 0)!, .. KnownValue(TpmAlgId.Sha1, 7)!,
            .. KnownValue(TpmAlgId.Sha256, 0)!, .. KnownValue(TpmAlgId.Sha256, 1)!, .. KnownValue(TpmAlgId.Sha256, 7)!]);

        Assert.Equal(Hex(expected), Hex(ReleaseKeyPolicy.PcrValuesDigest(KnownSelection, KnownValue)!));
    }

    [Fact]
    public void The_pcr_values_digest_is_null_when_a_value_is_missing_or_of_the_wrong_size()
    {
        Assert.Null(ReleaseKeyPolicy.PcrValuesDigest(KnownSelection, (bank, pcr) => pcr == 7 ? null : KnownValue(bank, pcr)));
        Assert.Null(ReleaseKeyPolicy.PcrValuesDigest(KnownSelection, (bank, pcr) => bank == TpmAlgId.Sha1 ? new byte[32] : KnownValue(bank, pcr)));
    }

    [Theory]
    [InlineData(TpmAlgId.Sha1, 0)]
    [InlineData(TpmAlgId.Sha1, 7)]
    [InlineData(TpmAlgId.Sha256, 0)]
    [InlineData(TpmAlgId.Sha256, 1)]
    [InlineData(TpmAlgId.Sha256, 7)]
    public void Compute_changes_when_any_selected_pcr_value_changes(TpmAlgId bank, int pcr)
    {
        byte[] baseline = ReleaseKeyPolicy.Compute(KnownSelection, ReleaseKeyPolicy.PcrValuesDigest(KnownSelection, KnownValue)!, 1);
        byte[]? Changed(TpmAlgId b, int p)
        {
            byte[]? v = KnownValue(b, p);
            if (v is not null && b == bank && p == pcr)
            {
                v = (byte[])v.Clone();
                v[^1] ^= 0x01;
            }
            return v;
        }

        byte[] changed = ReleaseKeyPolicy.Compute(KnownSelection, ReleaseKeyPolicy.PcrValuesDigest(KnownSelection, Changed)!, 1);

        Assert.NotEqual(Hex(baseline), Hex(changed));
    }

    public static TheoryData<string, TpmlPcrSelection> OtherSelections => new()
    {
        { "one PCR more", TpmlPcrSelection.Create((TpmAlgId.Sha1, [0, 7]), (TpmAlgId.Sha256, [0, 1, 2, 7])) },
        { "one PCR less", TpmlPcrSelection.Create((TpmAlgId.Sha1, [0, 7]), (TpmAlgId.Sha256, [0, 7])) },
        { "banks swapped", TpmlPcrSelection.Create((TpmAlgId.Sha256, [0, 1, 7]), (TpmAlgId.Sha1, [0, 7])) },
        { "sha1 bank left out", TpmlPcrSelection.Create((TpmAlgId.Sha256, [0, 1, 7])) },
        { "sizeofSelect 4", new TpmlPcrSelection([TpmsPcrSelection.FromIndexes(TpmAlgId.Sha1, [0, 7], 4), TpmsPcrSelection.FromIndexes(TpmAlgId.Sha256, [0, 1, 7])]) },
    };

    [Theory]
    [MemberData(nameof(OtherSelections))]
    public void Compute_changes_when_the_selection_changes_even_with_the_same_values_digest(string change, TpmlPcrSelection other)
    {
        // The same values digest on purpose: PolicyPCR hashes the TPML_PCR_SELECTION itself too.
        byte[] values = ReleaseKeyPolicy.PcrValuesDigest(KnownSelection, KnownValue)!;

        Assert.True(
            Hex(ReleaseKeyPolicy.Compute(KnownSelection, values, 1)) != Hex(ReleaseKeyPolicy.Compute(other, values, 1)),
            change);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(2u)]
    [InlineData(0x01000001u)]
    public void Compute_changes_when_resetCount_changes(uint otherResetCount)
    {
        byte[] values = ReleaseKeyPolicy.PcrValuesDigest(KnownSelection, KnownValue)!;

        Assert.NotEqual(Hex(ReleaseKeyPolicy.Compute(KnownSelection, values, 1)), Hex(ReleaseKeyPolicy.Compute(KnownSelection, values, otherResetCount)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(20)]
    [InlineData(48)]
    public void Compute_refuses_a_values_digest_that_is_not_sha256(int size)
    {
        Assert.Throws<ArgumentException>(() => ReleaseKeyPolicy.Compute(KnownSelection, new byte[size], 1));
    }

    // ---- template ----

    [Fact]
    public void The_template_marshals_like_tpm2_createprimary_with_an_empty_unique()
    {
        byte[] bytes = ReleaseKeyTemplate.Create(Convert.FromHexString(KnownPolicy)).ToArray();

        Assert.Equal(ToolsPublicBeforeUnique + "0000" + "0000", Hex(bytes));
    }

    [Fact]
    public void Problem_accepts_the_template_and_a_tpm_filled_unique()
    {
        byte[] policy = Convert.FromHexString(KnownPolicy);

        Assert.Null(ReleaseKeyTemplate.Problem(ReleaseKeyTemplate.Create(policy), policy));
        Assert.Null(ReleaseKeyTemplate.Problem(Variant(policy, uniqueX: RandomNumberGenerator.GetBytes(32), uniqueY: RandomNumberGenerator.GetBytes(32)), policy));
    }

    public static TheoryData<string, TpmtPublic, string> RefusedKeys
    {
        get
        {
            byte[] p = Convert.FromHexString(KnownPolicy);
            return new()
            {
                { "userWithAuth set", Variant(p, attributes: ReleaseKeyTemplate.Attributes | TpmaObject.UserWithAuth), "objectAttributes" },
                { "adminWithPolicy clear", Variant(p, attributes: ReleaseKeyTemplate.Attributes & ~TpmaObject.AdminWithPolicy), "objectAttributes" },
                { "restricted added", Variant(p, attributes: ReleaseKeyTemplate.Attributes | TpmaObject.Restricted), "objectAttributes" },
                { "decrypt added", Variant(p, attributes: ReleaseKeyTemplate.Attributes | TpmaObject.Decrypt), "objectAttributes" },
                { "stClear added", Variant(p, attributes: ReleaseKeyTemplate.Attributes | TpmaObject.StClear), "objectAttributes" },
                { "another policy", Variant(RandomNumberGenerator.GetBytes(32)), "authPolicy" },
                { "empty policy", Variant([]), "authPolicy" },
                { "P-384", Variant(p, curve: TpmEccCurve.NistP384), "P-256" },
                { "SHA-384 nameAlg", Variant(p, nameAlg: TpmAlgId.Sha384), "SHA-256" },
                { "SHA-1 nameAlg", Variant(p, nameAlg: TpmAlgId.Sha1), "SHA-256" },
                { "RSA", Variant(p, type: TpmAlgId.Rsa, curve: TpmEccCurve.None), "P-256" },
                { "ECDSA scheme", Variant(p, scheme: new TpmtScheme(TpmAlgId.EcDsa, TpmAlgId.Sha256)), "NULL" },
                { "AES symmetric", Variant(p, symmetric: TpmtSymDefObject.Aes128Cfb), "NULL" },
            };
        }
    }

    [Theory]
    [MemberData(nameof(RefusedKeys))]
    public void Problem_refuses_anything_but_the_template(string change, TpmtPublic key, string named)
    {
        string? problem = ReleaseKeyTemplate.Problem(key, Convert.FromHexString(KnownPolicy));

        Assert.NotNull(problem);
        Assert.True(problem.Contains(named, StringComparison.Ordinal), $"{change}: {problem}");
    }

    // ---- evidence binding ----

    [Fact]
    public void The_evidence_binding_is_sha256_of_nonce_log_digest_and_release_key_name()
    {
        byte[] nonce = RandomNumberGenerator.GetBytes(32);
        byte[] log = RandomNumberGenerator.GetBytes(32);
        byte[] name = [0x00, 0x0b, .. RandomNumberGenerator.GetBytes(32)];

        Assert.Equal(Hex(SHA256.HashData([.. nonce, .. log, .. name])), Hex(EvidenceBinding.Compute(nonce, log, name)));
        Assert.Equal(Hex(SHA256.HashData([.. nonce, .. log])), Hex(EvidenceBinding.Compute(nonce, log, [])));
        Assert.Equal(EvidenceBinding.Size, EvidenceBinding.Compute(nonce, log, name).Length);
        Assert.NotEqual(Hex(EvidenceBinding.Compute(nonce, log, name)), Hex(EvidenceBinding.Compute(nonce, log, [])));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(20)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(48)]
    public void The_evidence_binding_refuses_a_log_digest_that_is_not_32_bytes(int size)
    {
        Assert.Throws<ArgumentException>(() => EvidenceBinding.Compute(new byte[16], new byte[size], []));
    }

    // ---- command framing (Part 3 §4.4: tag, commandSize, commandCode, handles, parameters) ----

    [Fact]
    public void PolicyPcr_with_an_empty_digest_marshals_per_part3()
    {
        var fake = new FakeTpmTransport().Answer("8001 0000000a 00000000");
        using var tpm = new TpmCommandChannel(fake);

        tpm.PolicyPcr(Session, [], TpmlPcrSelection.Create((TpmAlgId.Sha256, [0, 7])));

        Assert.Equal(
            "8001" + "0000001a" + "0000017f" + "03000000"
            + "0000"                                      // TPM2B_DIGEST pcrDigest: empty
            + "00000001" + "000b" + "03" + "810000",      // TPML_PCR_SELECTION sha256 {0, 7}
            Hex(fake.Commands.Single()));
    }

    [Fact]
    public void PolicyPcr_with_a_digest_and_two_banks_marshals_per_part3()
    {
        var fake = new FakeTpmTransport().Answer("8001 0000000a 00000000");
        using var tpm = new TpmCommandChannel(fake);
        byte[] digest = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

        tpm.PolicyPcr(Session, digest, KnownSelection);

        Assert.Equal(
            "8001" + "00000040" + "0000017f" + "03000000"
            + "0020" + Hex(digest)
            + "00000002" + "0004" + "03" + "810000" + "000b" + "03" + "830000",
            Hex(fake.Commands.Single()));
    }

    [Fact]
    public void PolicyCounterTimer_marshals_operand_offset_and_operation_per_part3()
    {
        var fake = new FakeTpmTransport().Answer("8001 0000000a 00000000");
        using var tpm = new TpmCommandChannel(fake);

        tpm.PolicyCounterTimer(Session, ReleaseKeyPolicy.CounterTimerOperand(0x0A0B0C0D), ReleaseKeyPolicy.ResetCountOffset, ReleaseKeyPolicy.OperationEqual);

        Assert.Equal(
            "8001" + "00000018" + "0000016d" + "03000000"
            + "0004" + "0a0b0c0d"   // TPM2B_OPERAND operandB
            + "0010"                // UINT16 offset 16
            + "0000",               // TPM_EO_EQ
            Hex(fake.Commands.Single()));
    }

    [Fact]
    public void PolicyCommandCode_marshals_the_command_code_per_part3()
    {
        var fake = new FakeTpmTransport().Answer("8001 0000000a 00000000");
        using var tpm = new TpmCommandChannel(fake);

        tpm.PolicyCommandCode(Session, TpmCc.ActivateCredential);

        Assert.Equal("8001" + "00000012" + "0000016c" + "03000000" + "00000147", Hex(fake.Commands.Single()));
    }

    [Fact]
    public void A_policy_command_error_is_a_TpmException_with_its_code()
    {
        var fake = new FakeTpmTransport().Answer("8001 0000000a 00000126");
        using var tpm = new TpmCommandChannel(fake);

        TpmException e = Assert.Throws<TpmException>(() => tpm.PolicyCounterTimer(Session, [0, 0, 0, 1], 16, 0));

        Assert.Equal(TpmRc.Policy, e.Code);
        Assert.Equal("TPM2_PolicyCounterTimer", e.Command);
    }

    [Fact]
    public void ForReleaseKey_starts_a_sha256_session_and_replays_the_three_assertions_in_order()
    {
        TpmlPcrSelection selection = TpmlPcrSelection.Create((TpmAlgId.Sha256, [0, 7]));
        var fake = new FakeTpmTransport()
            .Answer("8001 00000012 00000000 03000000 0002 1234") // StartAuthSession
            .Answer("8001 0000000a 00000000")                    // PolicyPCR
            .Answer("8001 0000000a 00000000")                    // PolicyCounterTimer
            .Answer("8001 0000000a 00000000")                    // PolicyCommandCode
            .Answer("8001 0000000a 00000000");                   // FlushContext
        using var tpm = new TpmCommandChannel(fake);

        using (PolicySession s = PolicySession.ForReleaseKey(tpm, selection, 7))
        {
            Assert.Equal(Session, s.Handle);
            Assert.Equal(TpmAlgId.Sha256, s.HashAlg);
            Assert.Equal(4, fake.Commands.Count); // not flushed while in use
        }

        Assert.Equal(5, fake.Commands.Count);
        byte[] start = fake.Commands[0];
        Assert.Equal("00000176" + "40000007" + "40000007", Hex(start[6..18]));
        Assert.Equal("0020", Hex(start[18..20]));                             // nonceCaller: SHA-256 size
        Assert.Equal("0000" + "01" + "0010" + "000b", Hex(start[52..]));      // no salt, TPM_SE_POLICY, no symmetric, SHA-256
        Assert.Equal("0000017f" + "03000000" + "0000" + "00000001000b03810000", Hex(fake.Commands[1][6..]));
        Assert.Equal("0000016d" + "03000000" + "0004" + "00000007" + "0010" + "0000", Hex(fake.Commands[2][6..]));
        Assert.Equal("0000016c" + "03000000" + "00000147", Hex(fake.Commands[3][6..]));
        Assert.Equal("00000165" + "03000000", Hex(fake.Commands[4][6..]));
    }

    [Fact]
    public void ForReleaseKey_flushes_the_session_when_an_assertion_fails()
    {
        var fake = new FakeTpmTransport()
            .Answer("8001 00000012 00000000 03000002 0002 1234")
            .Answer("8001 0000000a 00000000")  // PolicyPCR
            .Answer("8001 0000000a 00000126")  // PolicyCounterTimer: TPM_RC_POLICY (another boot)
            .Answer("8001 0000000a 00000000"); // FlushContext
        using var tpm = new TpmCommandChannel(fake);

        TpmException e = Assert.Throws<TpmException>(() => PolicySession.ForReleaseKey(tpm, TpmlPcrSelection.Create((TpmAlgId.Sha256, [7])), 3));

        Assert.Equal(TpmRc.Policy, e.Code);
        Assert.Equal(4, fake.Commands.Count); // no PolicyCommandCode after the failure
        Assert.Equal("00000165" + "03000002", Hex(fake.Commands[^1][6..]));
    }

    [Fact]
    public void CreateReleaseKey_is_CreatePrimary_in_the_null_hierarchy_with_an_empty_password()
    {
        TpmtPublic template = ReleaseKeyTemplate.Create(Convert.FromHexString(KnownPolicy));
        TpmtPublic outPublic = Variant(template.AuthPolicy, uniqueX: RandomNumberGenerator.GetBytes(32), uniqueY: RandomNumberGenerator.GetBytes(32));
        byte[] name = outPublic.ComputeName();
        var fake = new FakeTpmTransport().Answer(Hex(CreatePrimaryResponse(0x80000001, outPublic, name)));
        using var client = new TpmClient(fake);

        TpmKey key = client.CreateReleaseKey(template);

        Assert.Equal(0x80000001u, key.Handle);
        Assert.Equal(Hex(name), Hex(key.Name));
        byte[] command = fake.Commands.Single();
        Assert.Equal("8002", Hex(command[..2]));
        Assert.Equal("00000131" + "40000007", Hex(command[6..14]));                  // TPM2_CreatePrimary(TPM_RH_NULL)
        Assert.Equal("00000009" + "40000009" + "0000" + "01" + "0000", Hex(command[14..27])); // password session, empty
        string parameters = Hex(command[27..]);
        Assert.StartsWith("0004" + "0000" + "0000", parameters, StringComparison.Ordinal); // empty TPM2B_SENSITIVE_CREATE
        Assert.Contains(Hex(template.ToArray()), parameters, StringComparison.Ordinal);
    }

    [Fact]
    public void ActivateWithReleaseKey_puts_the_release_session_on_the_key_and_the_ek_session_on_the_ek_and_flushes_both()
    {
        var fake = new FakeTpmTransport()
            .Answer("8001 00000012 00000000 03000000 0002 1234") // StartAuthSession (release key)
            .Answer("8001 0000000a 00000000")                    // PolicyPCR
            .Answer("8001 0000000a 00000000")                    // PolicyCounterTimer
            .Answer("8001 0000000a 00000000")                    // PolicyCommandCode
            .Answer("8001 00000012 00000000 03000001 0002 5678") // StartAuthSession (EK)
            .Answer("8002 0000001d 00000000 0000000a 0000 8023 40000007 0000 0000010000") // PolicySecret
            .Answer("8002 0000001e 00000000 00000006 0004 cafef00d 0000010000 0000010000") // ActivateCredential
            .Answer("8001 0000000a 00000000")                    // FlushContext
            .Answer("8001 0000000a 00000000");                   // FlushContext
        using var client = new TpmClient(fake);
        (TpmKey releaseKey, TpmKey ek) = Keys(client);

        byte[] opened = client.ActivateWithReleaseKey(releaseKey, ek, TpmlPcrSelection.Create((TpmAlgId.Sha256, [7])), 2, [0xAA], [0xBB]);

        Assert.Equal("cafef00d", Hex(opened));
        Assert.Equal(9, fake.Commands.Count);
        Assert.Equal("00000002", Hex(fake.Commands[2][16..20]));            // PolicyCounterTimer operand: resetCount 2
        byte[] activate = fake.Commands[6];
        Assert.Equal("00000147" + "80000010" + "80000020", Hex(activate[6..18])); // activateHandle, keyHandle
        Assert.Equal("00000012" + "03000000" + "0000" + "01" + "0000" + "03000001" + "0000" + "01" + "0000", Hex(activate[18..40]));
        Assert.Equal("0001aa" + "0001bb", Hex(activate[40..]));
        Assert.Equal(
            new[] { "00000165" + "03000000", "00000165" + "03000001" }.Order(),
            new[] { Hex(fake.Commands[7][6..]), Hex(fake.Commands[8][6..]) }.Order());
    }

    [Fact]
    public void ActivateWithReleaseKey_surfaces_a_policy_failure_as_TpmException_and_flushes_both_sessions()
    {
        var fake = new FakeTpmTransport()
            .Answer("8001 00000012 00000000 03000000 0002 1234")
            .Answer("8001 0000000a 00000000")
            .Answer("8001 0000000a 00000000")
            .Answer("8001 0000000a 00000000")
            .Answer("8001 00000012 00000000 03000001 0002 5678")
            .Answer("8002 0000001d 00000000 0000000a 0000 8023 40000007 0000 0000010000")
            .Answer("8001 0000000a 0000099d")                    // ActivateCredential: TPM_RC_POLICY_FAIL, session 1
            .Answer("8001 0000000a 00000000")
            .Answer("8001 0000000a 00000000");
        using var client = new TpmClient(fake);
        (TpmKey releaseKey, TpmKey ek) = Keys(client);

        TpmException e = Assert.Throws<TpmException>(
            () => client.ActivateWithReleaseKey(releaseKey, ek, TpmlPcrSelection.Create((TpmAlgId.Sha256, [7])), 2, [0xAA], [0xBB]));

        Assert.Equal(TpmRc.PolicyFail, e.Code);
        Assert.Equal(TpmRcSubject.Session, e.ResponseCode.Subject);
        Assert.Equal(1, e.ResponseCode.Number);
        Assert.Equal(9, fake.Commands.Count);
        Assert.Equal(
            new[] { "00000165" + "03000000", "00000165" + "03000001" }.Order(),
            new[] { Hex(fake.Commands[7][6..]), Hex(fake.Commands[8][6..]) }.Order());
    }

    [Fact]
    public void ActivateWithReleaseKey_flushes_the_release_session_when_the_ek_session_cannot_start()
    {
        var fake = new FakeTpmTransport()
            .Answer("8001 00000012 00000000 03000000 0002 1234")
            .Answer("8001 0000000a 00000000")
            .Answer("8001 0000000a 00000000")
            .Answer("8001 0000000a 00000000")
            .Answer("8001 0000000a 00000903")                    // StartAuthSession (EK): TPM_RC_SESSION_MEMORY
            .Answer("8001 0000000a 00000000");                   // FlushContext (release key session)
        using var client = new TpmClient(fake);
        (TpmKey releaseKey, TpmKey ek) = Keys(client);

        TpmException e = Assert.Throws<TpmException>(
            () => client.ActivateWithReleaseKey(releaseKey, ek, TpmlPcrSelection.Create((TpmAlgId.Sha256, [7])), 2, [0xAA], [0xBB]));

        Assert.Equal(TpmRc.SessionMemory, e.Code);
        Assert.Equal(6, fake.Commands.Count);
        Assert.Equal("00000165" + "03000000", Hex(fake.Commands[^1][6..]));
    }

    private static (TpmKey ReleaseKey, TpmKey Ek) Keys(TpmClient client)
    {
        TpmtPublic rk = ReleaseKeyTemplate.Create(Convert.FromHexString(KnownPolicy));
        TpmtPublic ek = EkTemplates.RsaL1();
        return (new TpmKey(client.Channel, 0x80000010, rk, rk.ComputeName()), new TpmKey(client.Channel, 0x80000020, ek, ek.ComputeName()));
    }

    /// <summary>A TPM2_CreatePrimary success response (Part 3 §24.1) with one password session answered.</summary>
    private static byte[] CreatePrimaryResponse(uint handle, TpmtPublic outPublic, byte[] name)
    {
        var w = new TpmWriter();
        using (w.BeginCommand(0x8002, 0)) // same header layout: tag, responseSize, responseCode
        {
            w.WriteUInt32(handle);
            using (w.BeginSize32())
            {
                Tpm2bPublic.Write(w, outPublic);
                w.WriteTpm2b([]);           // creationData
                w.WriteTpm2b([]);           // creationHash
                w.WriteUInt16(0x8021);      // TPMT_TK_CREATION.tag
                w.WriteUInt32(TpmHandle.RhNull);
                w.WriteTpm2b([]);
                w.WriteTpm2b(name);
            }
            w.WriteTpm2b([]);               // TPMS_AUTH_RESPONSE: nonce, attrs, hmac
            w.WriteUInt8(0x01);
            w.WriteTpm2b([]);
        }
        return w.ToArray();
    }

    private static TpmtPublic Variant(
        byte[] policy,
        TpmAlgId type = TpmAlgId.Ecc,
        TpmAlgId nameAlg = TpmAlgId.Sha256,
        TpmaObject attributes = ReleaseKeyTemplate.Attributes,
        TpmEccCurve curve = TpmEccCurve.NistP256,
        TpmtScheme? scheme = null,
        TpmtSymDefObject? symmetric = null,
        byte[]? uniqueX = null,
        byte[]? uniqueY = null) => new()
        {
            Type = type,
            NameAlg = nameAlg,
            ObjectAttributes = attributes,
            AuthPolicy = policy,
            Symmetric = symmetric ?? TpmtSymDefObject.Null,
            Scheme = scheme ?? TpmtScheme.Null,
            Curve = curve,
            Kdf = TpmtScheme.Null,
            UniqueX = uniqueX ?? [],
            UniqueY = uniqueY ?? [],
        };
}
