using System.Security.Cryptography;
using KcryptPush.Attestation.Quotes;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Templates;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.Tests.Quotes;

/// <summary>An AK is usable only with a strong nameAlg and a fixed signing scheme; qualifiedSigner is checked when given.</summary>
[Trait("Category", "Unit")]
public sealed class AkParameterTests
{
    private static TpmtPublic Ak(RSA key, TpmAlgId nameAlg, TpmtScheme scheme) => TpmtPublic.Parse(new TpmtPublic
    {
        Type = TpmAlgId.Rsa, NameAlg = nameAlg, ObjectAttributes = AkTemplates.Attributes, Scheme = scheme, KeyBits = 2048,
        Unique = key.ExportParameters(false).Modulus!,
    }.ToArray());

    [Fact]
    public void A_sha1_name_or_a_null_scheme_makes_the_AK_unusable()
    {
        using var key = RSA.Create(2048);
        using var weak = new QuoteVerifier(Ak(key, TpmAlgId.Sha1, new TpmtScheme(TpmAlgId.RsaSsa, TpmAlgId.Sha256)));
        Assert.Contains(weak.AkFindings, f => f.Code == QuoteFindingCodes.AkNameAlgWeak);
        using var schemeless = new QuoteVerifier(Ak(key, TpmAlgId.Sha256, TpmtScheme.Null));
        Assert.Contains(schemeless.AkFindings, f => f.Code == QuoteFindingCodes.AkSchemeMissing);
        using var good = new QuoteVerifier(Ak(key, TpmAlgId.Sha256, new TpmtScheme(TpmAlgId.RsaSsa, TpmAlgId.Sha256)));
        Assert.Empty(good.AkFindings);
    }

    [Fact]
    public void The_qualified_signer_must_be_the_expected_one_when_given()
    {
        using var key = RSA.Create(2048);
        TpmtPublic ak = Ak(key, TpmAlgId.Sha256, new TpmtScheme(TpmAlgId.RsaSsa, TpmAlgId.Sha256));
        byte[] qn = TpmName.Qualify(TpmAlgId.Sha256, TpmName.OfHandle(TpmHandle.RhEndorsement), ak.ComputeName());
        var selection = TpmlPcrSelection.Create((TpmAlgId.Sha256, [0]));
        var pcrs = new PcrValues().Set(TpmAlgId.Sha256, 0, new byte[32]);
        byte[] attest = new TpmsAttest
        {
            Magic = TpmsAttest.TpmGeneratedValue, Type = TpmSt.AttestQuote, QualifiedSigner = qn, ExtraData = [1, 2],
            ClockInfo = new TpmsClockInfo(1, 1, 0, true), Quote = new TpmsQuoteInfo(selection, SHA256.HashData(new byte[32])),
        }.ToArray();
        byte[] sig = new TpmtSignature { SigAlg = TpmAlgId.RsaSsa, Hash = TpmAlgId.Sha256, Signature = key.SignData(attest, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1) }.ToArray();
        using var verifier = new QuoteVerifier(ak);

        Assert.True(verifier.Verify(attest, sig, [1, 2], selection, pcrs, qn).Passed);
        Assert.True(verifier.Verify(attest, sig, [1, 2], selection, pcrs).Passed);
        byte[] other = TpmName.Qualify(TpmAlgId.Sha256, TpmName.OfHandle(TpmHandle.RhOwner), ak.ComputeName());
        QuoteVerificationResult r = verifier.Verify(attest, sig, [1, 2], selection, pcrs, other);
        Assert.Equal([QuoteFindingCodes.QualifiedSignerMismatch], r.Failures.Select(f => f.Code));
    }
}
