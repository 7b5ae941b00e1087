using System.Buffers.Binary;
using System.Security.Cryptography;
using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Tpm.Client;
using KcryptPush.Tpm.Crypto;
using KcryptPush.Tpm.Errors;
using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Sessions;
using KcryptPush.Tpm.Structures;

namespace KcryptPush.Integration.Tests;

/// <summary>
/// Credential activation both ways: our MakeCredential activated by tpm2_activatecredential, and
/// tpm2_makecredential's blob activated by our ActivateCredential, for the L-1, L-2 and H-3 EKs.
/// </summary>
[Trait("Category", "Integration")]
public sealed class CredentialIntegrationTests : IClassFixture<SwtpmClassFixture>
{
    /// <summary>tpm2-tools' credential file header: magic 0xBADCC0DE and version 1, big-endian.</summary>
    private const uint CredentialMagic = 0xBADCC0DE;

    private readonly SwtpmClassFixture _f;

    public CredentialIntegrationTests(SwtpmClassFixture fixture) => _f = fixture;

    [Theory]
    [InlineData(EkKind.Rsa2048, "rsa", "sha256")]
    [InlineData(EkKind.EccP256, "ecc", "sha256")]
    [InlineData(EkKind.EccP384, "ecc384", "sha384")]
    public void A_credential_from_our_MakeCredential_is_activated_by_tpm2_activatecredential(EkKind kind, string alg, string hash)
    {
        string d = $"ours-{alg}";
        byte[] secret = RandomNumberGenerator.GetBytes(32);
        Shell(
            $"tpm2_createek -G {alg} -c {d}-ek.ctx -u {d}-ek.pub",
            $"tpm2_createprimary -C e -g {hash} -G rsa2048:rsassa-sha256:null -a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign' -c {d}-ak.ctx",
            $"tpm2_readpublic -c {d}-ak.ctx -o {d}-ak.pub -n {d}-ak.name");
        TpmtPublic ek = Tpm2bPublic.Parse(File.ReadAllBytes(_f.Tools.PathOf($"{d}-ek.pub")));
        byte[] akName = File.ReadAllBytes(_f.Tools.PathOf($"{d}-ak.name"));

        CredentialBlob blob = MakeCredential.ForEk(ek, akName, secret);
        File.WriteAllBytes(_f.Tools.PathOf($"{d}-cred.in"), [.. Header(), .. blob.IdObject, .. blob.EncryptedSecret]);
        File.WriteAllBytes(_f.Tools.PathOf($"{d}-a.bin"), EkPolicy.PolicyA(ek.NameAlg));
        File.WriteAllBytes(_f.Tools.PathOf($"{d}-c.bin"), EkPolicy.PolicyC(ek.NameAlg));
        string or = kind == EkKind.EccP384 ? $"tpm2_policyor -S {d}-s.ctx -l {hash}:{d}-a.bin,{d}-c.bin" : "true";
        Shell(
            $"tpm2_startauthsession --policy-session -g {hash} -S {d}-s.ctx",
            $"tpm2_policysecret -S {d}-s.ctx -c e",
            or,
            $"tpm2_activatecredential -c {d}-ak.ctx -C {d}-ek.ctx -i {d}-cred.in -o {d}-out.bin -P session:{d}-s.ctx");

        Assert.Equal(secret, File.ReadAllBytes(_f.Tools.PathOf($"{d}-out.bin")));
    }

    [Theory]
    [InlineData(EkKind.Rsa2048, AkKind.Rsa2048)]
    [InlineData(EkKind.EccP256, AkKind.EccP256)]
    [InlineData(EkKind.EccP384, AkKind.Rsa2048)]
    public void A_credential_from_tpm2_makecredential_is_activated_by_our_ActivateCredential(EkKind kind, AkKind akKind)
    {
        string d = $"theirs-{kind}-{akKind}";
        byte[] secret = RandomNumberGenerator.GetBytes(32);
        byte[] akName;
        using (TpmClient tpm = TpmClient.Open(_f.Tpm.TpmUri))
        using (TpmKey ek = tpm.CreateEk(kind))
        using (TpmKey ak = tpm.CreateAk(akKind, ek.Public.NameAlg))
        {
            File.WriteAllBytes(_f.Tools.PathOf($"{d}-ek.pub"), Tpm2b(ek.Public));
            akName = ak.Name;
        }
        File.WriteAllBytes(_f.Tools.PathOf($"{d}-secret.bin"), secret);
        _f.Tools.Run("makecredential", "-T", "none", "-e", $"{d}-ek.pub", "-s", $"{d}-secret.bin",
            "-n", Convert.ToHexString(akName), "-o", $"{d}-cred.out");
        (byte[] idObject, byte[] encSecret) = ReadCredentialFile(File.ReadAllBytes(_f.Tools.PathOf($"{d}-cred.out")));

        using (TpmClient tpm = TpmClient.Open(_f.Tpm.TpmUri))
        {
            using TpmKey ek = tpm.CreateEk(kind);
            using TpmKey ak = tpm.CreateAk(akKind, ek.Public.NameAlg);
            Assert.Equal(akName, ak.Name);

            byte[] activated = tpm.ActivateCredential(ak, ek, idObject, encSecret);

            Assert.Equal(secret, activated);
        }
        AssertNothingLoaded();
    }

    [Theory]
    [InlineData(EkKind.Rsa2048)]
    [InlineData(EkKind.EccP384)]
    public void A_tampered_blob_fails_with_TPM_RC_INTEGRITY_and_leaks_nothing(EkKind kind)
    {
        using (TpmClient tpm = TpmClient.Open(_f.Tpm.TpmUri))
        {
            using TpmKey ek = tpm.CreateEk(kind);
            using TpmKey ak = tpm.CreateAk(AkKind.Rsa2048, ek.Public.NameAlg);
            CredentialBlob blob = MakeCredential.ForEk(ek.Public, ak.Name, RandomNumberGenerator.GetBytes(16));
            byte[] idObject = blob.IdObjectContents.ToArray();
            idObject[^1] ^= 0x01;

            TpmException e = Assert.Throws<TpmException>(
                () => tpm.ActivateCredential(ak, ek, idObject, blob.EncryptedSecretContents.Span));

            Assert.Equal(TpmRc.Integrity, e.Code);
            Assert.Contains("TPM_RC_INTEGRITY", e.Message, StringComparison.Ordinal);

            // The untampered blob still works afterwards: the failure left the TPM usable.
            Assert.Equal(16, tpm.ActivateCredential(ak, ek, blob).Length);
        }
        AssertNothingLoaded();
    }

    [Fact]
    public void A_credential_for_another_ak_fails_with_a_named_error()
    {
        using TpmClient tpm = TpmClient.Open(_f.Tpm.TpmUri);
        using TpmKey ek = tpm.CreateEk(EkKind.Rsa2048);
        using TpmKey ak = tpm.CreateAk(AkKind.Rsa2048);
        using TpmKey other = tpm.CreateAk(AkKind.EccP256);
        CredentialBlob blob = MakeCredential.ForEk(ek.Public, other.Name, RandomNumberGenerator.GetBytes(16));

        TpmException e = Assert.Throws<TpmException>(() => tpm.ActivateCredential(ak, ek, blob));

        Assert.Equal(TpmRc.Integrity, e.Code);
    }

    private void AssertNothingLoaded()
    {
        using TpmClient tpm = TpmClient.Open(_f.Tpm.TpmUri);
        Assert.Empty(tpm.GetHandles(0x80000000));
        Assert.Empty(tpm.GetHandles(0x02000000));
        Assert.Empty(tpm.GetHandles(0x03000000));
    }

    /// <summary>Runs tpm2-tools commands in one shell (sessions must survive between them), then flushes.</summary>
    private void Shell(params string[] commands)
    {
        try
        {
            ProcessRunner.RunChecked(
                "sh",
                ["-ec", string.Join("\n", commands)],
                _f.Tools.WorkDirectory,
                new Dictionary<string, string> { ["TPM2TOOLS_TCTI"] = _f.Tpm.Tcti });
        }
        finally
        {
            _f.Tools.FlushAll();
        }
    }

    private static byte[] Header()
    {
        byte[] h = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(h, CredentialMagic);
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(4), 1);
        return h;
    }

    private static (byte[] IdObject, byte[] EncryptedSecret) ReadCredentialFile(byte[] file)
    {
        var r = new TpmReader(file);
        Assert.Equal(CredentialMagic, r.ReadUInt32("magic"));
        Assert.Equal(1u, r.ReadUInt32("version"));
        byte[] id = r.ReadTpm2b("TPM2B_ID_OBJECT").ToArray();
        byte[] secret = r.ReadTpm2b("TPM2B_ENCRYPTED_SECRET").ToArray();
        r.EnsureAtEnd("credential file");
        return (id, secret);
    }

    private static byte[] Tpm2b(TpmtPublic pub)
    {
        var w = new TpmWriter();
        Tpm2bPublic.Write(w, pub);
        return w.ToArray();
    }
}
