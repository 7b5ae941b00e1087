using System.Security.Cryptography;
using KcryptPush.Attestation.Findings;
using KcryptPush.Attestation.Quotes;
using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.Tests.Quotes;

[Trait("Category", "Unit")]
public class QuoteVerifierTests
{
    public static TheoryData<string> QuoteIds() => new(RealQuote.All.Select(q => q.Id));

    private static QuoteVerificationResult Verify(RealQuote q, byte[]? attest = null, byte[]? signature = null,
        byte[]? nonce = null, TpmlPcrSelection? selection = null, PcrValues? pcrs = null, TpmtPublic? ak = null)
    {
        using var verifier = new QuoteVerifier(ak ?? TpmtPublic.Parse(q.AkPublic));
        return verifier.Verify(attest ?? q.Attest, signature ?? q.Signature, nonce ?? q.Nonce, selection ?? q.Selection, pcrs ?? q.Pcrs);
    }

    private static string Codes(VerificationResult r) => string.Join(",", r.Findings.Select(f => f.Code));

    [Fact]
    public void All_seven_real_TPM2_quotes_are_found()
    {
        Assert.Equal(
            new[] { "gce-cos85-no-nonce.sha1", "gce-cos85-no-nonce.sha256", "gce-cos85-no-nonce.sha384",
                "gce-cos85-nonce9009.sha1", "gce-cos85-nonce9009.sha256", "gce-cos85-nonce9009.sha384", "gcp-windows.sha1" },
            RealQuote.All.Select(q => q.Id).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(QuoteIds))]
    public void Real_quote_verifies_with_its_nonce_and_PCR_values(string id)
    {
        RealQuote q = RealQuote.Get(id);
        QuoteVerificationResult r = Verify(q);
        Assert.True(r.Passed, r.ToString());
        Assert.Empty(r.Findings);
        Assert.Equal(q.Nonce, r.Attest!.ExtraData);
        Assert.Equal(24, r.Attest.Quote!.PcrSelect.TotalCount);
    }

    [Fact]
    public void Windows_quote_is_RSASSA_with_SHA1_and_its_digest_is_SHA1()
    {
        QuoteVerificationResult r = Verify(RealQuote.Get("gcp-windows.sha1"));
        Assert.True(r.Passed, r.ToString());
        Assert.Equal(TpmAlgId.Sha1, r.Signature!.Hash);
        Assert.Equal(20, r.Attest!.Quote!.PcrDigest.Length);
    }

    [Fact]
    public void Verification_without_an_expected_selection_accepts_the_quoted_one()
    {
        RealQuote q = RealQuote.Get("gce-cos85-nonce9009.sha256");
        using var verifier = new QuoteVerifier(TpmtPublic.Parse(q.AkPublic));
        Assert.True(verifier.Verify(q.Attest, q.Signature, q.Nonce, null, q.Pcrs).Passed);
    }

    [Fact]
    public void Static_verify_from_AK_bytes_matches_and_reports_a_malformed_AK()
    {
        RealQuote q = RealQuote.Get("gce-cos85-nonce9009.sha1");
        Assert.True(QuoteVerifier.Verify(q.AkPublic, q.Attest, q.Signature, q.Nonce, q.Selection, q.Pcrs).Passed);
        QuoteVerificationResult bad = QuoteVerifier.Verify(q.AkPublic.AsSpan(0, 10), q.Attest, q.Signature, q.Nonce, q.Selection, q.Pcrs);
        Assert.Equal(QuoteFindingCodes.AkMalformed, Codes(bad));
    }

    [Fact]
    public void Flipped_bit_in_the_signed_clock_gives_exactly_SignatureInvalid()
    {
        RealQuote q = RealQuote.Get("gce-cos85-nonce9009.sha256");
        byte[] attest = (byte[])q.Attest.Clone();
        TpmsAttest parsed = TpmsAttest.Parse(attest);
        int clockAt = 4 + 2 + 2 + parsed.QualifiedSigner.Length + 2 + parsed.ExtraData.Length;
        attest[clockAt + 7] ^= 0x01; // lowest bit of clock: still well-formed, nothing else changes
        QuoteVerificationResult r = Verify(q, attest: attest);
        Assert.Equal(QuoteFindingCodes.SignatureInvalid, Codes(r));
        Assert.False(r.Passed);
    }

    [Fact]
    public void Flipped_bit_in_the_signature_gives_exactly_SignatureInvalid()
    {
        RealQuote q = RealQuote.Get("gcp-windows.sha1");
        byte[] sig = (byte[])q.Signature.Clone();
        sig[^1] ^= 0x80;
        Assert.Equal(QuoteFindingCodes.SignatureInvalid, Codes(Verify(q, signature: sig)));
    }

    [Fact]
    public void Wrong_nonce_gives_exactly_NonceMismatch()
    {
        RealQuote q = RealQuote.Get("gce-cos85-nonce9009.sha384");
        Assert.Equal(QuoteFindingCodes.NonceMismatch, Codes(Verify(q, nonce: [0x90, 0x08])));
        Assert.Equal(QuoteFindingCodes.NonceMismatch, Codes(Verify(q, nonce: [])));
        Assert.Equal(QuoteFindingCodes.NonceMismatch, Codes(Verify(RealQuote.Get("gce-cos85-no-nonce.sha1"), nonce: [0x90, 0x09])));
    }

    [Fact]
    public void Changed_PCR_value_gives_exactly_PcrDigestMismatch()
    {
        RealQuote q = RealQuote.Get("gce-cos85-nonce9009.sha1");
        var pcrs = new PcrValues();
        foreach ((int pcr, byte[] value) in q.PcrsOfFirstBank)
        {
            byte[] v = (byte[])value.Clone();
            if (pcr == 7)
            {
                v[0] ^= 1;
            }

            pcrs.Set(TpmAlgId.Sha1, pcr, v);
        }

        Assert.Equal(QuoteFindingCodes.PcrDigestMismatch, Codes(Verify(q, pcrs: pcrs)));
    }

    [Fact]
    public void Missing_or_short_PCR_values_have_their_own_findings()
    {
        RealQuote q = RealQuote.Get("gce-cos85-nonce9009.sha256");
        var missing = new PcrValues();
        var shortened = new PcrValues();
        foreach ((int pcr, byte[] value) in q.PcrsOfFirstBank)
        {
            if (pcr != 10)
            {
                missing.Set(TpmAlgId.Sha256, pcr, value);
            }

            shortened.Set(TpmAlgId.Sha256, pcr, pcr == 4 ? value[..31] : value);
        }

        QuoteVerificationResult r = Verify(q, pcrs: missing);
        Assert.Equal(QuoteFindingCodes.PcrValueMissing, Codes(r));
        Assert.Contains("10", r.Findings[0].Message);
        Assert.Equal(QuoteFindingCodes.PcrValueSizeInvalid, Codes(Verify(q, pcrs: shortened)));

        // Values of another bank do not stand in for the quoted one.
        Assert.Equal(QuoteFindingCodes.PcrValueMissing, Codes(Verify(q, pcrs: RealQuote.Get("gce-cos85-nonce9009.sha1").Pcrs)));
    }

    [Fact]
    public void AK_with_decrypt_gives_exactly_AkDecryptForbidden()
    {
        RealQuote q = RealQuote.Get("gce-cos85-nonce9009.sha256");
        TpmtPublic ak = WithAttributes(TpmtPublic.Parse(q.AkPublic), a => a | TpmaObject.Decrypt);
        Assert.Equal(QuoteFindingCodes.AkDecryptForbidden, Codes(Verify(q, ak: ak)));
    }

    [Fact]
    public void Each_missing_AK_attribute_is_its_own_finding()
    {
        RealQuote q = RealQuote.Get("gce-cos85-nonce9009.sha256");
        TpmtPublic ak = WithAttributes(TpmtPublic.Parse(q.AkPublic),
            a => a & ~(TpmaObject.Restricted | TpmaObject.FixedTpm | TpmaObject.SensitiveDataOrigin));
        Assert.Equal(
            string.Join(",", QuoteFindingCodes.AkNotRestricted, QuoteFindingCodes.AkNotFixedTpm, QuoteFindingCodes.AkNotSensitiveDataOrigin),
            Codes(Verify(q, ak: ak)));
        Assert.Empty(AkAttributeCheck.Check((TpmaObject)0x00050072));
        Assert.Equal(6, AkAttributeCheck.Check(TpmaObject.Decrypt).Count);
    }

    [Fact]
    public void Wrong_PCR_selection_gives_exactly_PcrSelectionMismatch()
    {
        RealQuote q = RealQuote.Get("gce-cos85-nonce9009.sha256");
        Assert.Equal(QuoteFindingCodes.PcrSelectionMismatch,
            Codes(Verify(q, selection: TpmlPcrSelection.Create((TpmAlgId.Sha256, Enumerable.Range(0, 23))))));
        Assert.Equal(QuoteFindingCodes.PcrSelectionMismatch,
            Codes(Verify(q, selection: TpmlPcrSelection.Create((TpmAlgId.Sha1, Enumerable.Range(0, 24))))));
    }

    [Fact]
    public void Wrong_magic_and_wrong_type_have_their_own_findings()
    {
        RealQuote q = RealQuote.Get("gce-cos85-no-nonce.sha256");
        byte[] attest = (byte[])q.Attest.Clone();
        attest[0] = 0x00;
        Assert.Equal($"{QuoteFindingCodes.QuoteMagicInvalid},{QuoteFindingCodes.SignatureInvalid}", Codes(Verify(q, attest: attest)));

        // The Windows AK's certify-creation attestation is genuine and signed by the AK, but it is no quote.
        RealQuote w = RealQuote.Get("gcp-windows.sha1");
        byte[] creation = File.ReadAllBytes(Path.Combine(RepoPaths.Quotes, "gcp-windows.ak_certify_creation.tpms_attest"));
        byte[] creationSig = File.ReadAllBytes(Path.Combine(RepoPaths.Quotes, "gcp-windows.ak_certify_creation.tpmt_signature"));
        QuoteVerificationResult r = Verify(w, attest: creation, signature: creationSig, nonce: TpmsAttest.Parse(creation).ExtraData);
        Assert.Equal(QuoteFindingCodes.QuoteTypeInvalid, Codes(r));
    }

    [Fact]
    public void Truncated_attest_is_QuoteMalformed_not_an_exception()
    {
        RealQuote q = RealQuote.Get("gce-cos85-nonce9009.sha256");
        QuoteVerificationResult r = Verify(q, attest: q.Attest[..^1]);
        Assert.Equal(QuoteFindingCodes.QuoteMalformed, Codes(r));
        Assert.Null(r.Attest);
    }

    [Fact]
    public void Signature_scheme_other_than_the_AK_scheme_is_a_mismatch()
    {
        RealQuote q = RealQuote.Get("gce-cos85-nonce9009.sha256");
        TpmtPublic ak = TpmtPublic.Parse(q.AkPublic);
        var pssAk = new TpmtPublic
        {
            Type = ak.Type, NameAlg = ak.NameAlg, ObjectAttributes = ak.ObjectAttributes, AuthPolicy = ak.AuthPolicy,
            Symmetric = ak.Symmetric, Scheme = new TpmtScheme(TpmAlgId.RsaPss, TpmAlgId.Sha256), KeyBits = ak.KeyBits,
            Exponent = ak.Exponent, Unique = ak.Unique,
        };
        Assert.Equal(QuoteFindingCodes.SignatureSchemeMismatch, Codes(Verify(q, ak: pssAk)));

        // An ECDSA signature cannot come from an RSA AK.
        byte[] ecdsaSig = new TpmtSignature { SigAlg = TpmAlgId.EcDsa, Hash = TpmAlgId.Sha256, R = [1], S = [1] }.ToArray();
        Assert.Equal(QuoteFindingCodes.SignatureSchemeMismatch, Codes(Verify(q, signature: ecdsaSig)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Synthetic_RSA_quote_verifies_with_RSASSA_and_RSAPSS(bool pss)
    {
        using RSA key = RSA.Create(2048);
        RSAParameters p = key.ExportParameters(false);
        TpmtPublic ak = new()
        {
            Type = TpmAlgId.Rsa, NameAlg = TpmAlgId.Sha256, ObjectAttributes = (TpmaObject)0x00050072,
            Scheme = new TpmtScheme(pss ? TpmAlgId.RsaPss : TpmAlgId.RsaSsa, TpmAlgId.Sha256), KeyBits = 2048,
            Unique = p.Modulus!,
        };
        (byte[] attest, byte[] nonce, TpmlPcrSelection sel, PcrValues pcrs) = SyntheticQuote(TpmAlgId.Sha256);
        byte[] sigBytes = key.SignData(attest, HashAlgorithmName.SHA256, pss ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1);
        byte[] sig = new TpmtSignature { SigAlg = ak.Scheme.Scheme, Hash = TpmAlgId.Sha256, Signature = sigBytes }.ToArray();

        using var verifier = new QuoteVerifier(ak);
        Assert.True(verifier.Verify(attest, sig, nonce, sel, pcrs).Passed);
        byte[] wrongPadding = new TpmtSignature
        {
            SigAlg = pss ? TpmAlgId.RsaSsa : TpmAlgId.RsaPss, Hash = TpmAlgId.Sha256, Signature = sigBytes,
        }.ToArray();
        Assert.Equal($"{QuoteFindingCodes.SignatureSchemeMismatch},{QuoteFindingCodes.SignatureInvalid}",
            Codes(verifier.Verify(attest, wrongPadding, nonce, sel, pcrs)));
    }

    [Fact]
    public void Synthetic_ECDSA_quote_verifies_with_short_r_and_s()
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        ECParameters p = key.ExportParameters(false);
        TpmtPublic ak = new()
        {
            Type = TpmAlgId.Ecc, NameAlg = TpmAlgId.Sha256, ObjectAttributes = (TpmaObject)0x00050072,
            Scheme = new TpmtScheme(TpmAlgId.EcDsa, TpmAlgId.Sha256), Curve = TpmEccCurve.NistP256,
            UniqueX = p.Q.X!, UniqueY = p.Q.Y!,
        };
        (byte[] attest, byte[] nonce, TpmlPcrSelection sel, PcrValues pcrs) = SyntheticQuote(TpmAlgId.Sha256);
        using var verifier = new QuoteVerifier(ak);
        for (int i = 0; i < 16; i++)
        {
            byte[] raw = key.SignData(attest, HashAlgorithmName.SHA256);
            // A TPM may drop leading zero bytes of r and s: strip them as a TPM would.
            byte[] r = raw[..32].SkipWhile(b => b == 0).ToArray();
            byte[] s = raw[32..].SkipWhile(b => b == 0).ToArray();
            byte[] sig = new TpmtSignature { SigAlg = TpmAlgId.EcDsa, Hash = TpmAlgId.Sha256, R = r, S = s }.ToArray();
            QuoteVerificationResult result = verifier.Verify(attest, sig, nonce, sel, pcrs);
            Assert.True(result.Passed, result.ToString());

            byte[] bad = (byte[])sig.Clone();
            bad[^1] ^= 1;
            Assert.Equal(QuoteFindingCodes.SignatureInvalid, Codes(verifier.Verify(attest, bad, nonce, sel, pcrs)));
        }
    }

    [Fact]
    public void Multi_bank_pcrDigest_follows_list_order_then_ascending_index()
    {
        // TPM-FACTS §5 (LIVE): sha256{0,3,16} then sha1{16}.
        var pcrs = new PcrValues();
        foreach (int i in new[] { 0, 3, 16 })
        {
            pcrs.Set(TpmAlgId.Sha256, i, Enumerable.Repeat((byte)i, 32).ToArray());
        }

        pcrs.Set(TpmAlgId.Sha1, 16, Enumerable.Repeat((byte)0xAA, 20).ToArray());
        TpmlPcrSelection sel = TpmlPcrSelection.Create((TpmAlgId.Sha256, [16, 0, 3]), (TpmAlgId.Sha1, [16]));
        byte[] concat = [.. new byte[32], .. Enumerable.Repeat((byte)3, 32), .. Enumerable.Repeat((byte)16, 32),
            .. Enumerable.Repeat((byte)0xAA, 20)];
        using RSA key = RSA.Create(2048);
        TpmtPublic ak = new()
        {
            Type = TpmAlgId.Rsa, NameAlg = TpmAlgId.Sha256, ObjectAttributes = (TpmaObject)0x00050072,
            Scheme = new TpmtScheme(TpmAlgId.RsaSsa, TpmAlgId.Sha256), KeyBits = 2048, Unique = key.ExportParameters(false).Modulus!,
        };
        foreach ((byte[] digest, bool ok) in new[] { (SHA256.HashData(concat), true), (SHA256.HashData(concat.Reverse().ToArray()), false) })
        {
            byte[] attest = new TpmsAttest
            {
                Magic = TpmsAttest.TpmGeneratedValue, Type = TpmSt.AttestQuote, QualifiedSigner = [0, 0xB, .. new byte[32]],
                ExtraData = [1, 2, 3], Quote = new TpmsQuoteInfo(sel, digest),
            }.ToArray();
            byte[] sig = new TpmtSignature
            {
                SigAlg = TpmAlgId.RsaSsa, Hash = TpmAlgId.Sha256,
                Signature = key.SignData(attest, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            }.ToArray();
            using var verifier = new QuoteVerifier(ak);
            QuoteVerificationResult r = verifier.Verify(attest, sig, [1, 2, 3], sel, pcrs);
            Assert.Equal(ok ? "" : QuoteFindingCodes.PcrDigestMismatch, Codes(r));
        }
    }

    private static (byte[] Attest, byte[] Nonce, TpmlPcrSelection Selection, PcrValues Pcrs) SyntheticQuote(TpmAlgId bank)
    {
        byte[] nonce = RandomNumberGenerator.GetBytes(32);
        var pcrs = new PcrValues();
        int size = TpmAlgorithms.GetDigestSize(bank);
        var concat = new List<byte>();
        foreach (int i in new[] { 0, 7, 14 })
        {
            byte[] v = RandomNumberGenerator.GetBytes(size);
            pcrs.Set(bank, i, v);
            concat.AddRange(v);
        }

        TpmlPcrSelection sel = TpmlPcrSelection.Create((bank, [0, 7, 14]));
        byte[] attest = new TpmsAttest
        {
            Magic = TpmsAttest.TpmGeneratedValue, Type = TpmSt.AttestQuote, QualifiedSigner = [0, 0xB, .. new byte[32]],
            ExtraData = nonce, ClockInfo = new TpmsClockInfo(1234, 1, 0, true), FirmwareVersion = 42,
            Quote = new TpmsQuoteInfo(sel, SHA256.HashData(concat.ToArray())),
        }.ToArray();
        return (attest, nonce, sel, pcrs);
    }

    private static TpmtPublic WithAttributes(TpmtPublic ak, Func<TpmaObject, TpmaObject> change) => new()
    {
        Type = ak.Type, NameAlg = ak.NameAlg, ObjectAttributes = change(ak.ObjectAttributes), AuthPolicy = ak.AuthPolicy,
        Symmetric = ak.Symmetric, Scheme = ak.Scheme, KeyBits = ak.KeyBits, Exponent = ak.Exponent, Unique = ak.Unique,
        Curve = ak.Curve, Kdf = ak.Kdf, UniqueX = ak.UniqueX, UniqueY = ak.UniqueY,
    };
}
