using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using KcryptPush.Attestation.Quotes;
using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Tpm.Client;
using KcryptPush.Tpm.Commands;
using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Integration.Tests;

/// <summary>
/// Why tpm2_checkquote 5.4 rejects RSAPSS quotes that our QuoteVerifier accepts, settled against
/// independent checkers.
/// <para>
/// Facts pinned here:
/// - swtpm (libtpms) signs RSAPSS with salt length = min(hLen, k − hLen − 2) = 32 for RSA-2048 with
///   SHA-256 (libtpms/MSR CryptRsaPssSaltSize, the FIPS 186-4 reading of TPM 2.0 Part 1 Annex B.7).
///   We recover the salt by decoding EMSA-PSS ourselves (RFC 8017 §9.1.2), and openssl accepts the
///   signature at saltlen 32 and auto and rejects it at max (222) and 20.
/// - Our QuoteVerifier accepts RSAPSS with salt = hLen only (.NET RSASignaturePadding.Pss):
///   salt 222, 20 or 0 over the same TPMS_ATTEST, and a PKCS#1 v1.5 signature labelled RSAPSS, are
///   rejected.
/// - tpm2_checkquote before 5.6 calls EVP_PKEY_verify without setting an RSA padding, so OpenSSL's
///   default PKCS#1 v1.5 is the only RSA padding it checks; it ignores TPMT_SIGNATURE.sigAlg and
///   the key's scheme, and there is no option to change this. Every RSAPSS quote fails with
///   "Error validating signed message with public key provided", including tpm2_quote's own.
///   Upstream: tpm2-tools issue #3283, fixed by PR #3285 (tries no padding, PKCS#1, PSS), first
///   released in 5.6. So checkquote is wrong here, not our verifier or our call.
/// </para>
/// </summary>
[Trait("Category", "Integration")]
public sealed class RsaPssCrossCheckTests : IClassFixture<SwtpmClassFixture>
{
    private const int Sha256Size = 32;
    private const int Rsa2048MaxSalt = 256 - Sha256Size - 2; // k − hLen − 2 = 222
    private const string ToolsSelection = "sha256:0,1,2,3,16";
    private const string CheckquoteSignatureError = "Error validating signed message with public key provided";

    private readonly SwtpmClassFixture _f;

    public RsaPssCrossCheckTests(SwtpmClassFixture fixture) => _f = fixture;

    private static TpmlPcrSelection Selection => TpmlPcrSelection.Create((TpmAlgId.Sha256, [0, 1, 2, 3, 16]));

    [Fact]
    public void Our_pss_quote_is_salted_with_the_hash_length_and_verifies_at_exactly_that_salt_length()
    {
        Evidence e = QuoteWithOurAk(AkKind.Rsa2048Pss, "ours");
        using RSA key = e.Ak.CreateRsa();
        byte[] rawSignature = RawRsaSignature(e.Signature, TpmAlgId.RsaPss);

        // What the TPM used, read from the signature itself: min(hLen, k − hLen − 2).
        Assert.Equal(Math.Min(Sha256Size, Rsa2048MaxSalt), RecoverPssSaltLength(key, SHA256.HashData(e.Attest), rawSignature));

        string pem = Write("ours-ak.pem", key.ExportSubjectPublicKeyInfoPem());
        string digest = WriteBytes("ours.dgst", SHA256.HashData(e.Attest));
        string sig = WriteBytes("ours.rawsig", rawSignature);
        Assert.True(OpensslVerifyPss(pem, digest, sig, "32").ExitCode == 0, "openssl rejected salt 32");
        Assert.True(OpensslVerifyPss(pem, digest, sig, "auto").ExitCode == 0, "openssl rejected salt auto");
        ProcessResult atMax = OpensslVerifyPss(pem, digest, sig, "max");
        Assert.NotEqual(0, atMax.ExitCode);
        Assert.Contains("retrieved: 32", atMax.StdErr, StringComparison.Ordinal); // openssl read salt 32, wanted 222
        Assert.NotEqual(0, OpensslVerifyPss(pem, digest, sig, "20").ExitCode);

        // openssl really checks the message: one flipped bit in TPMS_ATTEST fails at salt 32.
        byte[] tampered = (byte[])e.Attest.Clone();
        tampered[^1] ^= 1;
        Assert.NotEqual(0, OpensslVerifyPss(pem, WriteBytes("ours-tampered.dgst", SHA256.HashData(tampered)), sig, "32").ExitCode);

        using var verifier = new QuoteVerifier(e.Ak);
        QuoteVerificationResult ok = verifier.Verify(e.Attest, e.Signature, e.Nonce, Selection, e.Reported);
        Assert.True(ok.Passed, ok.ToString());
        QuoteVerificationResult bad = verifier.Verify(tampered, e.Signature, e.Nonce, Selection, e.Reported);
        Assert.True(bad.Has(QuoteFindingCodes.SignatureInvalid), bad.ToString());
    }

    /// <summary>
    /// Our verifier is exact: over the same real TPMS_ATTEST, with the AK's modulus replaced by a
    /// software key's (so we can sign at any salt length), only salt = hLen passes; max, 20 and 0
    /// salt, and PKCS#1 v1.5 bytes labelled RSAPSS, give SignatureInvalid.
    /// </summary>
    [Fact]
    public void Our_QuoteVerifier_accepts_rsapss_only_with_salt_equal_to_the_hash_length()
    {
        Evidence e = QuoteWithOurAk(AkKind.Rsa2048Pss, "exact");
        using RSA software = RSA.Create(2048);
        TpmtPublic ak = WithModulus(e.Ak, software);
        string keyPem = Write("exact-key.pem", software.ExportPkcs8PrivateKeyPem());
        string digest = WriteBytes("exact.dgst", SHA256.HashData(e.Attest));
        using var verifier = new QuoteVerifier(ak);

        foreach (int salt in new[] { Sha256Size, Rsa2048MaxSalt, 20, 0 })
        {
            byte[] raw = OpensslSignPss(keyPem, digest, salt);
            Assert.Equal(salt, RecoverPssSaltLength(software, SHA256.HashData(e.Attest), raw));
            QuoteVerificationResult result = verifier.Verify(e.Attest, TpmtSignatureBytes(TpmAlgId.RsaPss, raw), e.Nonce, Selection, e.Reported);
            if (salt == Sha256Size)
            {
                Assert.True(result.Passed, $"salt {salt}: {result}");
            }
            else
            {
                Assert.True(result.Has(QuoteFindingCodes.SignatureInvalid), $"salt {salt}: {result}");
            }
        }

        byte[] pkcs1 = software.SignData(e.Attest, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        QuoteVerificationResult mislabelled = verifier.Verify(e.Attest, TpmtSignatureBytes(TpmAlgId.RsaPss, pkcs1), e.Nonce, Selection, e.Reported);
        Assert.True(mislabelled.Has(QuoteFindingCodes.SignatureInvalid), mislabelled.ToString());
    }

    [Fact]
    public void A_tpm2_quote_pss_quote_is_salted_like_ours_and_passes_our_QuoteVerifier_and_the_tpms_own_check()
    {
        Evidence e = QuoteWithTools("tools");
        using RSA key = e.Ak.CreateRsa();
        Assert.Equal(TpmAlgId.RsaPss, e.Ak.Scheme.Scheme);
        Assert.Equal(Sha256Size, RecoverPssSaltLength(key, SHA256.HashData(e.Attest), RawRsaSignature(e.Signature, TpmAlgId.RsaPss)));

        using var verifier = new QuoteVerifier(e.Ak);
        QuoteVerificationResult result = verifier.Verify(e.Attest, e.Signature, e.Nonce, Selection, e.Reported);
        Assert.True(result.Passed, result.ToString());
        Assert.False(verifier.Verify(e.Attest, e.Signature, RandomNumberGenerator.GetBytes(e.Nonce.Length), Selection, e.Reported).Passed);

        // TPM2_VerifySignature on swtpm with the loaded AK: the TPM itself accepts the signature.
        _f.Tools.Run("verifysignature", "-c", "tools-ak.ctx", "-g", "sha256", "-m", "tools.msg", "-s", "tools.sig", "-t", "tools.tkt");
    }

    /// <summary>
    /// tpm2_checkquote before 5.6 rejects every RSAPSS quote (ours and tpm2_quote's) and accepts
    /// PKCS#1 v1.5 bytes under an RSAPSS label: it verifies RSA with PKCS#1 v1.5 only. The same
    /// call accepts our RSASSA quote, so the call itself is right. From 5.6 (PR #3285) PSS must pass.
    /// </summary>
    [Fact]
    public void Tpm2_checkquote_before_5_6_verifies_rsa_quotes_with_pkcs1_v15_only()
    {
        bool fixedVersion = CheckquoteVersion() >= new Version(5, 6);

        Evidence control = QuoteWithOurAk(AkKind.Rsa2048, "ssa");
        ProcessResult rsassa = Checkquote(control);
        Assert.True(rsassa.ExitCode == 0, rsassa.StdErr);

        foreach (Evidence quoted in new[] { QuoteWithOurAk(AkKind.Rsa2048Pss, "cq"), QuoteWithTools("cqtools") })
        {
            ProcessResult r = Checkquote(quoted);
            if (fixedVersion)
            {
                Assert.True(r.ExitCode == 0, $"{quoted.Tag}: {r.StdErr}");
            }
            else
            {
                Assert.NotEqual(0, r.ExitCode);
                Assert.Contains(CheckquoteSignatureError, r.StdErr, StringComparison.Ordinal);
            }
        }

        // The mechanism, with a software key under an RSAPSS TPM2B_PUBLIC and our real TPMS_ATTEST:
        // PKCS#1 v1.5 bytes labelled 0x0016 pass checkquote (any version: PKCS#1 is always tried),
        // while our verifier refuses them (previous test); a salt-32 PSS signature fails before 5.6.
        Evidence baseEvidence = QuoteWithOurAk(AkKind.Rsa2048Pss, "mech");
        using RSA software = RSA.Create(2048);
        TpmtPublic ak = WithModulus(baseEvidence.Ak, software);
        byte[] pkcs1 = software.SignData(baseEvidence.Attest, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        byte[] pss = software.SignData(baseEvidence.Attest, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);

        ProcessResult mislabelled = Checkquote(baseEvidence with { Tag = "mech-v15", Ak = ak, Signature = TpmtSignatureBytes(TpmAlgId.RsaPss, pkcs1) });
        Assert.True(mislabelled.ExitCode == 0, mislabelled.StdErr);
        ProcessResult softwarePss = Checkquote(baseEvidence with { Tag = "mech-pss", Ak = ak, Signature = TpmtSignatureBytes(TpmAlgId.RsaPss, pss) });
        Assert.Equal(fixedVersion, softwarePss.ExitCode == 0);
    }

    private sealed record Evidence(string Tag, TpmtPublic Ak, byte[] Attest, byte[] Signature, byte[] Nonce, IReadOnlyList<TpmPcrValue> Pcrs)
    {
        public PcrValues Reported
        {
            get
            {
                var values = new PcrValues();
                foreach (TpmPcrValue p in Pcrs)
                {
                    values.Set(p.Bank, p.Index, p.Digest);
                }
                return values;
            }
        }
    }

    private Evidence QuoteWithOurAk(AkKind kind, string tag)
    {
        byte[] nonce = RandomNumberGenerator.GetBytes(20);
        using TpmClient tpm = TpmClient.Open(_f.Tpm.TpmUri);
        using TpmKey ak = tpm.CreateAk(kind);
        TpmQuote quote = tpm.Quote(ak.Handle, nonce, Selection);
        return new Evidence(tag, ak.Public, quote.Attest, quote.Signature, nonce, tpm.ReadPcrs(Selection));
    }

    // tpm2-tools 5.4 needs --scheme rsapss: without it tpm2_quote asks for RSASSA and a restricted
    // RSAPSS key answers 0x2D2 (SCHEME, parameter 2; issue #3283 too).
    private Evidence QuoteWithTools(string tag)
    {
        byte[] nonce = RandomNumberGenerator.GetBytes(16);
        _f.Tools.Run("createek", "-G", "rsa", "-c", $"{tag}-ek.ctx", "-u", $"{tag}-ek.pub");
        _f.Tools.Run("createak", "-C", $"{tag}-ek.ctx", "-c", $"{tag}-ak.ctx", "-G", "rsa", "-g", "sha256", "-s", "rsapss",
            "-u", $"{tag}-ak.pub", "-n", $"{tag}-ak.name", "-r", $"{tag}-ak.priv");
        _f.Tools.Run("quote", "-c", $"{tag}-ak.ctx", "-l", ToolsSelection, "-q", Convert.ToHexString(nonce),
            "-m", $"{tag}.msg", "-s", $"{tag}.sig", "-g", "sha256", "--scheme", "rsapss");
        IReadOnlyList<TpmPcrValue> pcrs;
        using (TpmClient tpm = TpmClient.Open(_f.Tpm.TpmUri))
        {
            pcrs = tpm.ReadPcrs(Selection);
        }
        return new Evidence(
            tag,
            Tpm2bPublic.Parse(File.ReadAllBytes(_f.Tools.PathOf($"{tag}-ak.pub"))),
            File.ReadAllBytes(_f.Tools.PathOf($"{tag}.msg")),
            File.ReadAllBytes(_f.Tools.PathOf($"{tag}.sig")),
            nonce,
            pcrs);
    }

    private ProcessResult Checkquote(Evidence e)
    {
        var w = new TpmWriter();
        Tpm2bPublic.Write(w, e.Ak);
        WriteBytes($"cq-{e.Tag}.pub", w.ToArray());
        WriteBytes($"cq-{e.Tag}.msg", e.Attest);
        WriteBytes($"cq-{e.Tag}.sig", e.Signature);
        WriteBytes($"cq-{e.Tag}.pcrs", Tpm2ToolsPcrFile.Serialize(Selection, e.Pcrs));
        return _f.Tools.TryRun("checkquote", "-u", $"cq-{e.Tag}.pub", "-m", $"cq-{e.Tag}.msg", "-s", $"cq-{e.Tag}.sig",
            "-f", $"cq-{e.Tag}.pcrs", "-g", "sha256", "-q", Convert.ToHexString(e.Nonce));
    }

    private Version CheckquoteVersion()
    {
        string output = _f.Tools.Run("checkquote", "--version").StdOut;
        Match m = Regex.Match(output, "version=\"(\\d+)\\.(\\d+)");
        Assert.True(m.Success, output);
        return new Version(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    private ProcessResult OpensslVerifyPss(string publicPem, string digestFile, string signatureFile, string saltLength) =>
        ProcessRunner.Run("openssl",
            ["pkeyutl", "-verify", "-pubin", "-inkey", publicPem, "-in", digestFile, "-sigfile", signatureFile,
             "-pkeyopt", "rsa_padding_mode:pss", "-pkeyopt", $"rsa_pss_saltlen:{saltLength}", "-pkeyopt", "digest:sha256"],
            _f.Tools.WorkDirectory);

    private byte[] OpensslSignPss(string privatePem, string digestFile, int saltLength)
    {
        string output = _f.Tools.PathOf($"pss-{saltLength}.sig");
        ProcessRunner.RunChecked("openssl",
            ["pkeyutl", "-sign", "-inkey", privatePem, "-in", digestFile, "-out", output,
             "-pkeyopt", "rsa_padding_mode:pss", "-pkeyopt", $"rsa_pss_saltlen:{saltLength}", "-pkeyopt", "digest:sha256"],
            _f.Tools.WorkDirectory);
        return File.ReadAllBytes(output);
    }

    /// <summary>
    /// EMSA-PSS-VERIFY (RFC 8017 §9.1.2) with SHA-256 and MGF1-SHA-256, returning the salt length
    /// found in DB = PS(zeros) ‖ 0x01 ‖ salt; fails the test when the encoding is not a valid PSS
    /// signature of <paramref name="mHash"/>. Independent of .NET's and OpenSSL's PSS code.
    /// </summary>
    private static int RecoverPssSaltLength(RSA key, byte[] mHash, byte[] signature)
    {
        RSAParameters p = key.ExportParameters(false);
        var n = new BigInteger(p.Modulus, isUnsigned: true, isBigEndian: true);
        var e = new BigInteger(p.Exponent, isUnsigned: true, isBigEndian: true);
        int modBits = (int)n.GetBitLength();
        int emBits = modBits - 1;
        int emLen = (emBits + 7) / 8;
        byte[] m = BigInteger.ModPow(new BigInteger(signature, isUnsigned: true, isBigEndian: true), e, n)
            .ToByteArray(isUnsigned: true, isBigEndian: true);
        Assert.True(m.Length <= emLen, "RSA output longer than emLen");
        byte[] em = new byte[emLen];
        m.CopyTo(em, emLen - m.Length);

        Assert.Equal(0xBC, em[^1]);
        int dbLen = emLen - Sha256Size - 1;
        byte[] h = em[dbLen..^1];
        byte[] db = em[..dbLen];
        byte[] mask = Mgf1Sha256(h, dbLen);
        for (int i = 0; i < dbLen; i++)
        {
            db[i] ^= mask[i];
        }
        db[0] &= (byte)(0xFF >> ((8 * emLen) - emBits));
        int separator = Array.FindIndex(db, b => b != 0);
        Assert.True(separator >= 0 && db[separator] == 0x01, "no 0x01 separator after PS");
        byte[] salt = db[(separator + 1)..];

        byte[] mPrime = [.. new byte[8], .. mHash, .. salt];
        Assert.Equal(Convert.ToHexString(h), Convert.ToHexString(SHA256.HashData(mPrime)));
        return salt.Length;
    }

    private static byte[] Mgf1Sha256(byte[] seed, int length)
    {
        var output = new List<byte>(length + Sha256Size);
        for (uint counter = 0; output.Count < length; counter++)
        {
            byte[] c = [(byte)(counter >> 24), (byte)(counter >> 16), (byte)(counter >> 8), (byte)counter];
            output.AddRange(SHA256.HashData([.. seed, .. c]));
        }
        return output.GetRange(0, length).ToArray();
    }

    // TPMT_SIGNATURE for RSA (TPM 2.0 Part 2 §11.3.4): sigAlg, hash, TPM2B signature.
    private static byte[] TpmtSignatureBytes(TpmAlgId sigAlg, byte[] rsaSignature)
    {
        var w = new TpmWriter();
        w.WriteUInt16((ushort)sigAlg);
        w.WriteUInt16((ushort)TpmAlgId.Sha256);
        w.WriteTpm2b(rsaSignature);
        return w.ToArray();
    }

    private static byte[] RawRsaSignature(byte[] tpmtSignature, TpmAlgId expectedScheme)
    {
        TpmtSignature sig = TpmtSignature.Parse(tpmtSignature);
        Assert.Equal(expectedScheme, sig.SigAlg);
        Assert.Equal(TpmAlgId.Sha256, sig.Hash);
        return sig.Signature.ToArray();
    }

    private static TpmtPublic WithModulus(TpmtPublic ak, RSA key) => new()
    {
        Type = ak.Type,
        NameAlg = ak.NameAlg,
        ObjectAttributes = ak.ObjectAttributes,
        AuthPolicy = ak.AuthPolicy,
        Symmetric = ak.Symmetric,
        Scheme = ak.Scheme,
        KeyBits = ak.KeyBits,
        Exponent = 0, // 65537, .NET's exponent
        Unique = key.ExportParameters(false).Modulus!,
    };

    private string Write(string file, string text)
    {
        File.WriteAllText(_f.Tools.PathOf(file), text);
        return file;
    }

    private string WriteBytes(string file, byte[] bytes)
    {
        File.WriteAllBytes(_f.Tools.PathOf(file), bytes);
        return file;
    }
}
