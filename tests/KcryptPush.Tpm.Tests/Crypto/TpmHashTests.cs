using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KcryptPush.Tpm.Crypto;

namespace KcryptPush.Tpm.Tests.Crypto;

[Trait("Category", "Unit")]
public sealed class TpmHashTests
{
    // A fixed P-256 key's SubjectPublicKeyInfo and its TPM hash, produced with OpenSSL 3.0:
    //   openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out k.pem
    //   openssl pkey -in k.pem -pubout -outform DER | xxd -p        (the SPKI below)
    //   openssl pkey -in k.pem -pubout -outform DER | sha256sum     (the expected hash)
    private const string P256Spki =
        "3059301306072a8648ce3d020106082a8648ce3d03010703420004d5e553520348a1780f775ca5618208b5fbad409a30e9cd1ceb0b735fe59da1e991b59357eac40fff3266bf97c7e98fb61daafab82cc6fd28c3902e06c7c14098";
    private const string P256Hash = "42de9825cdec904fc12ad7f9c383ffd5b3f59d5fd17a0d59dfc71e0e06be5b72";

    [Fact]
    public void The_hash_of_a_fixed_spki_is_what_openssl_and_sha256sum_print()
    {
        Assert.Equal(P256Hash, TpmHash.FromSubjectPublicKeyInfo(Convert.FromHexString(P256Spki)));
    }

    [Fact]
    public void The_hash_of_the_imported_key_equals_the_hash_of_its_spki()
    {
        using ECDsa key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(Convert.FromHexString(P256Spki), out _);

        Assert.Equal(P256Hash, TpmHash.Of(key));
        Assert.Equal(P256Hash, TpmHash.Of(key.ExportParameters(false)));
    }

    // Runs openssl (installed by scripts/install-deps.sh) on a freshly generated key.
    [Theory]
    [InlineData("rsa")]
    [InlineData("p256")]
    [InlineData("p384")]
    public void Generated_keys_hash_like_openssl_pkey_outform_der(string kind)
    {
        using AsymmetricAlgorithm key = kind switch
        {
            "rsa" => RSA.Create(2048),
            "p256" => ECDsa.Create(ECCurve.NamedCurves.nistP256),
            _ => ECDsa.Create(ECCurve.NamedCurves.nistP384),
        };
        string pem = kind == "rsa" ? ((RSA)key).ExportSubjectPublicKeyInfoPem() : ((ECDsa)key).ExportSubjectPublicKeyInfoPem();

        string expected = OpensslTpmHash(pem);

        Assert.Equal(expected, TpmHash.Of(key));
        Assert.Matches("^[0-9a-f]{64}$", expected);
    }

    [Fact]
    public void An_rsa_key_given_as_parameters_with_exponent_zero_hashes_as_exponent_65537()
    {
        using RSA rsa = RSA.Create(2048);
        RSAParameters p = rsa.ExportParameters(false);
        Assert.Equal([0x01, 0x00, 0x01], p.Exponent);

        Assert.Equal(TpmHash.Of(rsa), TpmHash.Of(new RSAParameters { Modulus = p.Modulus, Exponent = [0, 0, 0, 0] }));
    }

    [Fact]
    public void A_certificate_hashes_as_the_key_it_certifies()
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var request = new CertificateRequest("CN=ek", key, HashAlgorithmName.SHA384);
        using X509Certificate2 cert = request.CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));

        Assert.Equal(TpmHash.Of(key), TpmHash.Of(cert));
    }

    [Fact]
    public void Bytes_that_are_not_one_spki_are_refused()
    {
        byte[] spki = Convert.FromHexString(P256Spki);

        Assert.ThrowsAny<CryptographicException>(() => TpmHash.FromSubjectPublicKeyInfo(spki.AsSpan(0, spki.Length - 1)));
        Assert.ThrowsAny<CryptographicException>(() => TpmHash.FromSubjectPublicKeyInfo([.. spki, 0x00]));
        Assert.ThrowsAny<CryptographicException>(() => TpmHash.FromSubjectPublicKeyInfo([0x01, 0x02, 0x03]));
    }

    private static string OpensslTpmHash(string publicKeyPem)
    {
        var info = new ProcessStartInfo("openssl")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string a in new[] { "pkey", "-pubin", "-outform", "DER" })
        {
            info.ArgumentList.Add(a);
        }
        using Process p = Process.Start(info)!;
        p.StandardInput.Write(publicKeyPem);
        p.StandardInput.Close();
        using var der = new MemoryStream();
        p.StandardOutput.BaseStream.CopyTo(der);
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, p.StandardError.ReadToEnd());
        return Convert.ToHexStringLower(SHA256.HashData(der.ToArray()));
    }
}
