using System.Security.Cryptography;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Templates;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Tests.Structures;

[Trait("Category", "Unit")]
public class PublicKeyTests
{
    [Fact]
    public void Rsa_AK_converts_to_the_modulus_and_exponent_of_the_sidecar()
    {
        TpmtPublic ak = TpmtPublic.Parse(QuoteData.Read("gce-cos85-nonce9009.ak_pub.tpmt_public"));
        Assert.Equal(TpmAlgId.Rsa, ak.Type);
        Assert.Equal(0x50072u, (uint)ak.ObjectAttributes);
        Assert.Equal(new TpmtScheme(TpmAlgId.RsaSsa, TpmAlgId.Sha256), ak.Scheme);
        using RSA rsa = ak.CreateRsa();
        RSAParameters p = rsa.ExportParameters(false);
        Assert.StartsWith("cbad6f089c698224", Convert.ToHexStringLower(p.Modulus!));
        Assert.Equal(new byte[] { 1, 0, 1 }, p.Exponent);

        // DER SubjectPublicKeyInfo round-trips into the same key.
        byte[] spki = ak.ExportSubjectPublicKeyInfo();
        using RSA imported = RSA.Create();
        imported.ImportSubjectPublicKeyInfo(spki, out int read);
        Assert.Equal(spki.Length, read);
        Assert.Equal(p.Modulus, imported.ExportParameters(false).Modulus);
    }

    [Fact]
    public void Ecc_public_area_converts_and_pads_short_coordinates()
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        ECParameters p = key.ExportParameters(false);
        TpmtPublic template = AkTemplates.EccP256();
        var pub = new TpmtPublic
        {
            Type = template.Type, NameAlg = template.NameAlg, ObjectAttributes = template.ObjectAttributes,
            Scheme = template.Scheme, Curve = template.Curve, Kdf = template.Kdf,
            UniqueX = p.Q.X!.SkipWhile(b => b == 0).ToArray(), UniqueY = p.Q.Y!,
        };
        using ECDsa converted = pub.CreateEcdsa();
        Assert.Equal(p.Q.X, converted.ExportParameters(false).Q.X);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), pub.ExportSubjectPublicKeyInfo());

        byte[] hash = SHA256.HashData([1, 2, 3]);
        Assert.True(converted.VerifyHash(hash, key.SignHash(hash)));
    }

    [Fact]
    public void Point_off_the_curve_is_refused()
    {
        TpmtPublic t = AkTemplates.EccP256();
        var pub = new TpmtPublic
        {
            Type = t.Type, NameAlg = t.NameAlg, ObjectAttributes = t.ObjectAttributes, Scheme = t.Scheme,
            Curve = t.Curve, Kdf = t.Kdf, UniqueX = [1], UniqueY = [2],
        };
        Assert.ThrowsAny<CryptographicException>(() => pub.CreateEcdsa());
    }

    [Fact]
    public void Non_asymmetric_objects_have_no_public_key()
    {
        var sealedObject = new TpmtPublic
        {
            Type = TpmAlgId.KeyedHash, NameAlg = TpmAlgId.Sha256, ObjectAttributes = TpmaObject.FixedTpm,
            Unique = new byte[32],
        };
        Assert.Equal(sealedObject.ToArray(), TpmtPublic.Parse(sealedObject.ToArray()).ToArray());
        Assert.Throws<InvalidOperationException>(() => sealedObject.CreatePublicKey());
    }
}
