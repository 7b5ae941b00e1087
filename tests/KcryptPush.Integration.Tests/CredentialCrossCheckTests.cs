using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Tpm.Crypto;
using KcryptPush.Tpm.Structures;

namespace KcryptPush.Integration.Tests;

/// <summary>
/// Our MakeCredential and TPM hash against independent implementations: credentials we make are
/// activated by swtpm through tpm2-tools 5.4 for the L-1 (RSA 2048), L-2 (P-256) and H-3 (P-384,
/// SHA-384, AES-256) EKs, and our TPM hash of each provisioned EK equals what OpenSSL prints for its
/// certificate.
/// </summary>
[Trait("Category", "Integration")]
public sealed class CredentialCrossCheckTests
{
    // C-384 = PolicyAuthorizeNV(0x01C07F02) (TPM-FACTS §3): the second branch of the H-3 EK's PolicyOR.
    private const string PolicyC384 =
        "d6032ce61f2fb3c240eb3cf6a33237ef2b6a16f4293c22b455e261cffd217ad5b4947c2d73e63005eed2dc2b3593d165";

    [Theory]
    [InlineData("rsa", 32, 2 + 256)]
    [InlineData("ecc", 32, 2 + 68)]
    [InlineData("ecc384", 48, 2 + 100)]
    public void Tpm2_activatecredential_recovers_the_secret_we_wrapped_and_refuses_a_flipped_bit(
        string ekKind, int digestSize, int encryptedSecretSize)
    {
        using SwtpmInstance tpm = SwtpmInstance.Start();
        using var tools = new Tpm2Tools(tpm);
        tools.Run("createek", "-c", "ek.ctx", "-G", ekKind, "-u", "ek.pub");
        string akAlg = ekKind == "rsa" ? "rsa" : "ecc";
        string akScheme = ekKind == "rsa" ? "rsassa" : "ecdsa";
        tools.Run("createak", "-C", "ek.ctx", "-c", "ak.ctx", "-G", akAlg, "-g", "sha256", "-s", akScheme,
            "-u", "ak.pub", "-n", "ak.name", "-r", "ak.priv");

        TpmtPublic ek = Tpm2bPublic.Parse(File.ReadAllBytes(tools.PathOf("ek.pub")));
        byte[] akName = File.ReadAllBytes(tools.PathOf("ak.name"));
        byte[] secret = RandomNumberGenerator.GetBytes(digestSize);

        CredentialBlob blob = MakeCredential.ForEk(ek, akName, secret);

        Assert.Equal(encryptedSecretSize, blob.EncryptedSecret.Length);
        File.WriteAllBytes(tools.PathOf("cred.out"), Tpm2ToolsCredentialFile(blob.IdObject, blob.EncryptedSecret));
        ProcessResult activated = Activate(tpm, tools, ekKind, "cred.out", "out.bin");
        Assert.True(activated.ExitCode == 0, activated.StdErr);
        Assert.Equal(secret, File.ReadAllBytes(tools.PathOf("out.bin")));

        // One flipped bit in encIdentity: the outer HMAC no longer verifies (TPM_RC_INTEGRITY, p1).
        byte[] tampered = (byte[])blob.IdObject.Clone();
        tampered[^1] ^= 0x01;
        File.WriteAllBytes(tools.PathOf("bad.out"), Tpm2ToolsCredentialFile(tampered, blob.EncryptedSecret));
        ProcessResult refused = Activate(tpm, tools, ekKind, "bad.out", "bad.bin");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("0x1DF", refused.StdErr, StringComparison.OrdinalIgnoreCase);
        Assert.False(File.Exists(tools.PathOf("bad.bin")));
    }

    [Fact]
    public void Our_credential_file_layout_equals_tpm2_makecredential_output()
    {
        // tpm2_makecredential -T none (software, no TPM) for the same EK, Name and secret: same sizes and
        // header. The contents differ (fresh seeds), so compare the framing, not the bytes.
        using SwtpmInstance tpm = SwtpmInstance.Start();
        using var tools = new Tpm2Tools(tpm);
        tools.Run("createek", "-c", "ek.ctx", "-G", "ecc384", "-u", "ek.pub");
        tools.Run("createak", "-C", "ek.ctx", "-c", "ak.ctx", "-G", "ecc", "-g", "sha256", "-s", "ecdsa",
            "-u", "ak.pub", "-n", "ak.name", "-r", "ak.priv");
        byte[] akName = File.ReadAllBytes(tools.PathOf("ak.name"));
        byte[] secret = RandomNumberGenerator.GetBytes(40);
        File.WriteAllBytes(tools.PathOf("secret.bin"), secret);

        ProcessRunner.RunChecked("tpm2_makecredential",
            ["-T", "none", "-e", "ek.pub", "-s", "secret.bin", "-n", Convert.ToHexStringLower(akName), "-o", "theirs.out"],
            tools.WorkDirectory);
        byte[] theirs = File.ReadAllBytes(tools.PathOf("theirs.out"));
        CredentialBlob ours = MakeCredential.ForEk(Tpm2bPublic.Parse(File.ReadAllBytes(tools.PathOf("ek.pub"))), akName, secret);
        byte[] oursFile = Tpm2ToolsCredentialFile(ours.IdObject, ours.EncryptedSecret);

        Assert.Equal(theirs.Length, oursFile.Length);
        Assert.Equal(theirs.AsSpan(0, 8).ToArray(), oursFile.AsSpan(0, 8).ToArray());
        Assert.Equal(BinaryPrimitives.ReadUInt16BigEndian(theirs.AsSpan(8)), BinaryPrimitives.ReadUInt16BigEndian(oursFile.AsSpan(8)));
        Assert.Equal(BinaryPrimitives.ReadUInt16BigEndian(theirs.AsSpan(10)), BinaryPrimitives.ReadUInt16BigEndian(oursFile.AsSpan(10)));
    }

    [Theory]
    [InlineData("rsa", "0x01c00002")]
    [InlineData("ecc384", "0x01c00016")]
    public void Our_tpm_hash_of_the_ek_equals_openssls_hash_of_its_certificate_key(string ekKind, string certIndex)
    {
        using SwtpmInstance tpm = SwtpmInstance.Start();
        using var tools = new Tpm2Tools(tpm);
        tools.Run("createek", "-c", "ek.ctx", "-G", ekKind, "-u", "ek.pub");
        tools.Run("nvread", certIndex, "-o", "ek.der");

        ProcessResult openssl = ProcessRunner.RunChecked("bash",
            ["-c", "openssl x509 -inform DER -in ek.der -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum"],
            tools.WorkDirectory);
        string expected = openssl.StdOut.Split(' ')[0];
        Assert.Matches("^[0-9a-f]{64}$", expected);

        TpmtPublic ek = Tpm2bPublic.Parse(File.ReadAllBytes(tools.PathOf("ek.pub")));
        using X509Certificate2 certificate = X509CertificateLoader.LoadCertificate(File.ReadAllBytes(tools.PathOf("ek.der")));
        Assert.Equal(expected, TpmHash.Of(ek));
        Assert.Equal(expected, TpmHash.Of(certificate));
    }

    /// <summary>
    /// tpm2-tools 5.4's credential file (tpm2_makecredential -o, tpm2_activatecredential -i), seen
    /// byte for byte: magic 0xBADCC0DE, version 1 (both UINT32 big-endian), TPM2B_ID_OBJECT,
    /// TPM2B_ENCRYPTED_SECRET.
    /// </summary>
    private static byte[] Tpm2ToolsCredentialFile(byte[] idObject, byte[] encryptedSecret)
    {
        byte[] file = new byte[8 + idObject.Length + encryptedSecret.Length];
        BinaryPrimitives.WriteUInt32BigEndian(file, 0xBADCC0DE);
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(4), 1);
        idObject.CopyTo(file.AsSpan(8));
        encryptedSecret.CopyTo(file.AsSpan(8 + idObject.Length));
        return file;
    }

    /// <summary>
    /// Satisfies the EK's policy and runs tpm2_activatecredential in one shell, because the session
    /// must survive between the tools (Tpm2Tools.Run flushes sessions after every tool).
    /// L-1/L-2: SHA-256 PolicySecret(endorsement) = PolicyA. H-3: SHA-384 PolicySecret, then
    /// PolicyOR(A-384, C-384) = PolicyB-384.
    /// </summary>
    private static ProcessResult Activate(SwtpmInstance tpm, Tpm2Tools tools, string ekKind, string credentialFile, string output)
    {
        string script = ekKind == "ecc384"
            ? $"""
              set -e
              printf '%s' '{PolicyC384}' | xxd -r -p > c384.policy
              tpm2_startauthsession --policy-session -S s.ctx -g sha384
              tpm2_policysecret -S s.ctx -c e -L a384.policy > /dev/null
              tpm2_policyor -S s.ctx -l sha384:a384.policy,c384.policy > /dev/null
              tpm2_activatecredential -c ak.ctx -C ek.ctx -i {credentialFile} -o {output} -P session:s.ctx
              """
            : $"""
              set -e
              tpm2_startauthsession --policy-session -S s.ctx
              tpm2_policysecret -S s.ctx -c e > /dev/null
              tpm2_activatecredential -c ak.ctx -C ek.ctx -i {credentialFile} -o {output} -P session:s.ctx
              """;
        try
        {
            return ProcessRunner.Run("bash", ["-c", script], tools.WorkDirectory,
                new Dictionary<string, string> { ["TPM2TOOLS_TCTI"] = tpm.Tcti });
        }
        finally
        {
            tools.FlushAll();
        }
    }
}
