using KcryptPush.Tpm.Commands;
using KcryptPush.Tpm.Sessions;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Tests;

/// <summary>EK policy digests (TPM-FACTS §3 values) and the commands a policy session for an EK sends.</summary>
[Trait("Category", "Unit")]
public sealed class PolicySessionCommandTests
{
    private static string Hex(byte[] b) => Convert.ToHexString(b).ToLowerInvariant();

    [Fact]
    public void PolicyA_matches_the_profile_values()
    {
        Assert.Equal("837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa", Hex(EkPolicy.PolicyA(TpmAlgId.Sha256)));
        Assert.Equal(
            "8bbf2266537c171cb56e403c4dc1d4b64f432611dc386e6f532050c3278c930e143e8bb1133824ccb431053871c6db53",
            Hex(EkPolicy.PolicyA(TpmAlgId.Sha384)));
    }

    [Fact]
    public void PolicyC_and_PolicyB_match_the_profile_values()
    {
        Assert.Equal(
            "d6032ce61f2fb3c240eb3cf6a33237ef2b6a16f4293c22b455e261cffd217ad5b4947c2d73e63005eed2dc2b3593d165",
            Hex(EkPolicy.PolicyC(TpmAlgId.Sha384)));
        Assert.Equal(
            "b26e7d28d11a50bc53d882bcf5fd3a1a074148bb35d3b4e4cb1c0ad9bde419cacb47ba09699646150f9fc000f3f80e12",
            Hex(EkPolicy.PolicyB(TpmAlgId.Sha384)));
        Assert.StartsWith("3767e2ed", Hex(EkPolicy.PolicyC(TpmAlgId.Sha256)), StringComparison.Ordinal);
        Assert.EndsWith("d8633fde", Hex(EkPolicy.PolicyC(TpmAlgId.Sha256)), StringComparison.Ordinal);
        Assert.Equal("ca3d0a99a2b93906f7a3342414efcfb3a385d44cd1fd459089d19b5071c0b7a0", Hex(EkPolicy.PolicyB(TpmAlgId.Sha256)));
    }

    [Fact]
    public void An_unknown_ek_policy_is_refused_before_any_command()
    {
        Assert.Throws<NotSupportedException>(() => EkPolicy.OrBranchesFor(TpmAlgId.Sha256, new byte[32]));
    }

    [Fact]
    public void A_policyB_ek_session_runs_secret_then_or_and_is_flushed_on_dispose()
    {
        var fake = new FakeTpmTransport()
            .Answer("8001 00000012 00000000 03000000 0002 1234")             // StartAuthSession
            .Answer("8002 0000001d 00000000 0000000a 0000 8023 40000007 0000 0000010000") // PolicySecret
            .Answer("8001 0000000a 00000000")                                // PolicyOR
            .Answer("8001 0000000a 00000000");                               // FlushContext
        using var tpm = new TpmCommandChannel(fake);
        var ek = new TpmtPublic
        {
            Type = TpmAlgId.Ecc,
            NameAlg = TpmAlgId.Sha384,
            ObjectAttributes = (TpmaObject)0x000300F2,
            AuthPolicy = EkPolicy.PolicyB(TpmAlgId.Sha384),
        };

        using (PolicySession s = PolicySession.ForEk(tpm, ek))
        {
            Assert.Equal(0x03000000u, s.Handle);
            Assert.Equal("03000000" + "0000" + "01" + "0000", Hex(ToBytes(s.Authorization)));
        }

        Assert.Equal(4, fake.Commands.Count);
        Assert.Equal("00000151" + "4000000b" + "03000000", Hex(fake.Commands[1][6..18]));
        Assert.Equal("00000171" + "03000000" + "00000002" + "0030", Hex(fake.Commands[2][6..20]));
        Assert.Equal("00000165" + "03000000", Hex(fake.Commands[3][6..]));
    }

    [Fact]
    public void A_failing_policy_command_still_flushes_the_session()
    {
        var fake = new FakeTpmTransport()
            .Answer("8001 00000012 00000000 03000001 0002 1234")
            .Answer("8001 0000000a 0000098e")
            .Answer("8001 0000000a 00000000");
        using var tpm = new TpmCommandChannel(fake);
        var ek = new TpmtPublic { Type = TpmAlgId.Rsa, NameAlg = TpmAlgId.Sha256, ObjectAttributes = (TpmaObject)0x000300B2, AuthPolicy = EkPolicy.PolicyA(TpmAlgId.Sha256) };

        Assert.Throws<KcryptPush.Tpm.Errors.TpmException>(() => PolicySession.ForEk(tpm, ek));
        Assert.Equal("00000165" + "03000001", Hex(fake.Commands[^1][6..]));
    }

    private static byte[] ToBytes(TpmAuthorization a)
    {
        var w = new KcryptPush.Tpm.Marshalling.TpmWriter();
        a.WriteTo(w);
        return w.ToArray();
    }
}
