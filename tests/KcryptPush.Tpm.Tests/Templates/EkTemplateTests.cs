using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Templates;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Tests.Templates;

[Trait("Category", "Unit")]
public class EkTemplateTests
{
    // TPM-FACTS §1 policy digest rules, H = the session hash, d starts as zeros.
    private static byte[] PolicySecret(TpmAlgId h, byte[] d, uint authHandle)
    {
        d = TpmAlgorithms.Hash(h, [.. d, .. Convert.FromHexString("00000151"), .. TpmName.OfHandle(authHandle)]);
        return TpmAlgorithms.Hash(h, d); // policyRef empty: d = H(d ‖ policyRef)
    }

    private static byte[] PolicyOr(TpmAlgId h, params byte[][] branches)
    {
        byte[] input = [.. new byte[TpmAlgorithms.GetDigestSize(h)], .. Convert.FromHexString("00000171")];
        foreach (byte[] b in branches)
        {
            input = [.. input, .. b];
        }

        return TpmAlgorithms.Hash(h, input);
    }

    private static byte[] PolicyAuthorizeNv(TpmAlgId h, byte[] d, byte[] nvName) =>
        TpmAlgorithms.Hash(h, [.. d, .. Convert.FromHexString("00000192"), .. nvName]);

    private static byte[] PolicyIndexName(uint index, TpmAlgId h, byte[] policyA) => new TpmsNvPublic
    {
        NvIndex = index,
        NameAlg = h,
        Attributes = (TpmaNv)0x220F1008,
        AuthPolicy = policyA,
        DataSize = (ushort)(TpmAlgorithms.GetDigestSize(h) + 2),
    }.ComputeName();

    [Theory]
    [InlineData(TpmAlgId.Sha256)]
    [InlineData(TpmAlgId.Sha384)]
    public void PolicyA_is_PolicySecret_of_the_endorsement_hierarchy(TpmAlgId h)
    {
        byte[] a = PolicySecret(h, new byte[TpmAlgorithms.GetDigestSize(h)], TpmHandle.RhEndorsement);
        Assert.Equal(h == TpmAlgId.Sha256 ? EkPolicies.PolicyA256 : EkPolicies.PolicyA384, a);
    }

    [Fact]
    public void PolicyB384_is_PolicyOR_of_A384_and_the_I2_AuthorizeNV_branch()
    {
        byte[] a = PolicySecret(TpmAlgId.Sha384, new byte[48], TpmHandle.RhEndorsement);
        byte[] c = PolicyAuthorizeNv(TpmAlgId.Sha384, new byte[48], PolicyIndexName(EkPolicies.PolicyIndexSha384, TpmAlgId.Sha384, a));
        Assert.Equal(EkPolicies.PolicyC384, c);
        Assert.Equal(EkPolicies.PolicyB384, PolicyOr(TpmAlgId.Sha384, a, c));
        Assert.Equal(EkPolicies.PolicyB384, EkTemplates.EccH3().AuthPolicy);
    }

    [Fact]
    public void PolicyB256_is_PolicyOR_of_A256_and_the_I1_AuthorizeNV_branch()
    {
        byte[] a = PolicySecret(TpmAlgId.Sha256, new byte[32], TpmHandle.RhEndorsement);
        byte[] c = PolicyAuthorizeNv(TpmAlgId.Sha256, new byte[32], PolicyIndexName(EkPolicies.PolicyIndexSha256, TpmAlgId.Sha256, a));
        Assert.StartsWith("3767e2ed", Convert.ToHexStringLower(c));
        Assert.EndsWith("d8633fde", Convert.ToHexStringLower(c));
        Assert.Equal(EkPolicies.PolicyB256, PolicyOr(TpmAlgId.Sha256, a, c));
    }

    [Fact]
    public void L1_template_marshals_as_the_profile_says()
    {
        string hex = Convert.ToHexStringLower(EkTemplates.RsaL1().ToArray());
        Assert.Equal(
            "0001" + "000b" + "000300b2" + "0020" + Convert.ToHexStringLower(EkPolicies.PolicyA256)
            + "0006" + "0080" + "0043" + "0010" + "0800" + "00000000" + "0100" + new string('0', 512),
            hex);
    }

    [Fact]
    public void L2_template_marshals_as_the_profile_says()
    {
        string hex = Convert.ToHexStringLower(EkTemplates.EccL2().ToArray());
        Assert.Equal(
            "0023" + "000b" + "000300b2" + "0020" + Convert.ToHexStringLower(EkPolicies.PolicyA256)
            + "0006" + "0080" + "0043" + "0010" + "0003" + "0010" + "0020" + new string('0', 64) + "0020" + new string('0', 64),
            hex);
    }

    [Fact]
    public void H3_template_marshals_as_the_profile_says()
    {
        string hex = Convert.ToHexStringLower(EkTemplates.EccH3().ToArray());
        Assert.Equal(
            "0023" + "000c" + "000300f2" + "0030" + Convert.ToHexStringLower(EkPolicies.PolicyB384)
            + "0006" + "0100" + "0043" + "0010" + "0004" + "0010" + "0000" + "0000",
            hex);
    }

    [Fact]
    public void Templates_parse_back_to_equal_bytes()
    {
        foreach (TpmtPublic t in new[] { EkTemplates.RsaL1(), EkTemplates.EccL2(), EkTemplates.EccH3(),
            AkTemplates.Rsa2048(), AkTemplates.Rsa2048(TpmAlgId.Sha384, pss: true), AkTemplates.EccP256() })
        {
            byte[] bytes = t.ToArray();
            Assert.Equal(bytes, TpmtPublic.Parse(bytes).ToArray());
        }
    }

    [Fact]
    public void Ak_templates_follow_tpm2_createak_defaults()
    {
        TpmtPublic rsa = AkTemplates.Rsa2048();
        Assert.Equal(0x00050072u, (uint)rsa.ObjectAttributes);
        Assert.Equal(new TpmtScheme(TpmAlgId.RsaSsa, TpmAlgId.Sha256), rsa.Scheme);
        Assert.Equal(TpmAlgId.Null, rsa.Symmetric.Algorithm);
        Assert.Equal(2048, rsa.KeyBits);
        Assert.Equal(TpmAlgId.RsaPss, AkTemplates.Rsa2048(pss: true).Scheme.Scheme);

        TpmtPublic ecc = AkTemplates.EccP256(TpmAlgId.Sha384);
        Assert.Equal(TpmAlgId.Sha384, ecc.NameAlg);
        Assert.Equal(new TpmtScheme(TpmAlgId.EcDsa, TpmAlgId.Sha256), ecc.Scheme);
        Assert.Equal(TpmEccCurve.NistP256, ecc.Curve);
        Assert.Equal(0, (int)(ecc.ObjectAttributes & TpmaObject.Decrypt));
    }
}
