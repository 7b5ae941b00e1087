using System.Security.Cryptography;
using KcryptPush.Attestation.Findings;
using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.Quotes;

/// <summary>
/// Verifies TPM2_Quote evidence against one AK (pure: no I/O, no clock). Keep one instance per
/// AK: the imported .NET public key is reused, which is what makes verification cheap. Verify
/// may be called concurrently (it only performs public-key operations on the cached key).
/// <para>
/// Checks, in order, each failure its own finding (<see cref="QuoteFindingCodes"/>):
/// AK attributes; parse of TPMS_ATTEST and TPMT_SIGNATURE; magic = TPM_GENERATED_VALUE; type =
/// TPM_ST_ATTEST_QUOTE; extraData = nonce (fixed-time); pcrSelect = the expected selection;
/// signature scheme = the AK's scheme; signature over the TPMS_ATTEST bytes with the AK;
/// pcrDigest = H_sig(reported PCR values in selection order) (TPM 2.0 Part 3 §18.4).
/// A parse failure stops; the other checks all run so every problem is reported.
/// </para>
/// </summary>
public sealed class QuoteVerifier : IDisposable
{
    private readonly RSA? _rsa;
    private readonly ECDsa? _ecdsa;
    private readonly int _eccCoordinateSize;
    private readonly Finding[] _akFindings;

    /// <summary>Prepares verification with <paramref name="ak"/>; AK problems become findings of every result.</summary>
    public QuoteVerifier(TpmtPublic ak)
    {
        ArgumentNullException.ThrowIfNull(ak);
        Ak = ak;
        var findings = new List<Finding>(AkAttributeCheck.Check(ak));
        if (ak.NameAlg is not (TpmAlgId.Sha256 or TpmAlgId.Sha384 or TpmAlgId.Sha512))
        {
            // The Name binds the AK's public area everywhere (MakeCredential, qualifiedSigner): a weak
            // nameAlg would let a colliding public area stand in for it.
            findings.Add(Finding.Failure(QuoteFindingCodes.AkNameAlgWeak, $"AK nameAlg 0x{(ushort)ak.NameAlg:x4} is not SHA-256 or stronger."));
        }

        if (ak.Scheme.IsNull)
        {
            // A restricted signing key signs only with its own scheme (Part 1 §25.2.3); without one the
            // enrolled AK does not say how its quotes are signed.
            findings.Add(Finding.Failure(QuoteFindingCodes.AkSchemeMissing, "AK has no signing scheme (TPM_ALG_NULL): a restricted AK must fix its scheme."));
        }

        try
        {
            switch (ak.Type)
            {
                case TpmAlgId.Rsa:
                    _rsa = ak.CreateRsa();
                    break;
                case TpmAlgId.Ecc:
                    _ecdsa = ak.CreateEcdsa();
                    _eccCoordinateSize = TpmtPublic.GetCurveCoordinateSize(ak.Curve);
                    break;
                default:
                    findings.Add(Finding.Failure(QuoteFindingCodes.AkTypeUnsupported,
                        $"AK type 0x{(ushort)ak.Type:x4} is neither RSA nor ECC."));
                    break;
            }
        }
        catch (NotSupportedException e)
        {
            findings.Add(Finding.Failure(QuoteFindingCodes.AkTypeUnsupported, $"AK key cannot be used: {e.Message}"));
        }
        catch (CryptographicException e)
        {
            findings.Add(Finding.Failure(QuoteFindingCodes.AkKeyInvalid, $"AK public key is invalid: {e.Message}"));
        }

        _akFindings = findings.ToArray();
    }

    /// <summary>The AK this verifier checks against.</summary>
    public TpmtPublic Ak { get; }

    /// <summary>Findings about the AK itself (attributes, key import); part of every result.</summary>
    public IReadOnlyList<Finding> AkFindings => _akFindings;

    /// <summary>
    /// Verifies a quote given the AK's TPMT_PUBLIC bytes (a parse failure is an
    /// <see cref="QuoteFindingCodes.AkMalformed"/> finding). Imports the key on every call: keep a
    /// <see cref="QuoteVerifier"/> per AK when verifying often.
    /// </summary>
    public static QuoteVerificationResult Verify(
        ReadOnlySpan<byte> akPublic,
        ReadOnlySpan<byte> attest,
        ReadOnlySpan<byte> signature,
        ReadOnlySpan<byte> expectedNonce,
        TpmlPcrSelection? expectedSelection,
        PcrValues reportedPcrs)
    {
        TpmtPublic ak;
        try
        {
            ak = TpmtPublic.Parse(akPublic);
        }
        catch (TpmFormatException e)
        {
            return new QuoteVerificationResult(
                [Finding.Failure(QuoteFindingCodes.AkMalformed, $"AK TPMT_PUBLIC: {e.Message}")], null, null);
        }

        using var verifier = new QuoteVerifier(ak);
        return verifier.Verify(attest, signature, expectedNonce, expectedSelection, reportedPcrs);
    }

    /// <summary>Verifies one quote.</summary>
    /// <param name="attest">The TPMS_ATTEST bytes exactly as signed (TPM2B_ATTEST contents).</param>
    /// <param name="signature">The TPMT_SIGNATURE bytes.</param>
    /// <param name="expectedNonce">The nonce the verifier issued (qualifyingData); may be empty.</param>
    /// <param name="expectedSelection">The PCR selection asked for; null to accept any.</param>
    /// <param name="reportedPcrs">The PCR values the agent reported.</param>
    /// <param name="expectedQualifiedSigner">The AK's qualified name (TPM 2.0 Part 1 §16) the TPM must have signed as qualifiedSigner; empty to accept any.</param>
    public QuoteVerificationResult Verify(
        ReadOnlySpan<byte> attest,
        ReadOnlySpan<byte> signature,
        ReadOnlySpan<byte> expectedNonce,
        TpmlPcrSelection? expectedSelection,
        PcrValues reportedPcrs,
        ReadOnlySpan<byte> expectedQualifiedSigner = default)
    {
        ArgumentNullException.ThrowIfNull(reportedPcrs);
        var findings = new List<Finding>(_akFindings.Length + 4);
        findings.AddRange(_akFindings);

        TpmsAttest parsed;
        TpmtSignature sig;
        try
        {
            parsed = TpmsAttest.Parse(attest);
        }
        catch (TpmFormatException e)
        {
            findings.Add(Finding.Failure(QuoteFindingCodes.QuoteMalformed, $"TPMS_ATTEST: {e.Message}"));
            return new QuoteVerificationResult(findings, null, null);
        }

        try
        {
            sig = TpmtSignature.Parse(signature);
        }
        catch (TpmFormatException e)
        {
            findings.Add(Finding.Failure(QuoteFindingCodes.QuoteMalformed, $"TPMT_SIGNATURE: {e.Message}"));
            return new QuoteVerificationResult(findings, parsed, null);
        }

        if (parsed.Magic != TpmsAttest.TpmGeneratedValue)
        {
            findings.Add(Finding.Failure(QuoteFindingCodes.QuoteMagicInvalid,
                $"magic 0x{parsed.Magic:x8} is not TPM_GENERATED_VALUE 0xff544347."));
        }

        if (parsed.Type != TpmSt.AttestQuote || parsed.Quote is null)
        {
            findings.Add(Finding.Failure(QuoteFindingCodes.QuoteTypeInvalid,
                $"type 0x{(ushort)parsed.Type:x4} is not TPM_ST_ATTEST_QUOTE 0x8018."));
        }

        if (!CryptographicOperations.FixedTimeEquals(parsed.ExtraData, expectedNonce))
        {
            findings.Add(Finding.Failure(QuoteFindingCodes.NonceMismatch,
                $"extraData ({parsed.ExtraData.Length} bytes) is not the expected nonce ({expectedNonce.Length} bytes)."));
        }

        if (!expectedQualifiedSigner.IsEmpty && !parsed.QualifiedSigner.AsSpan().SequenceEqual(expectedQualifiedSigner))
        {
            findings.Add(Finding.Failure(QuoteFindingCodes.QualifiedSignerMismatch,
                $"qualifiedSigner {Convert.ToHexStringLower(parsed.QualifiedSigner)} is not the AK's qualified name {Convert.ToHexStringLower(expectedQualifiedSigner)}."));
        }

        if (parsed.Quote is { } quoteInfo && expectedSelection is not null && !quoteInfo.PcrSelect.SelectsSame(expectedSelection))
        {
            findings.Add(Finding.Failure(QuoteFindingCodes.PcrSelectionMismatch,
                $"quoted PCRs {quoteInfo.PcrSelect} are not the requested {expectedSelection}."));
        }

        bool hashUsable = CheckScheme(sig, findings);
        if (hashUsable)
        {
            VerifySignature(attest, sig, findings);
            if (parsed.Quote is { } quote)
            {
                CheckPcrDigest(quote, sig.Hash, reportedPcrs, findings);
            }
        }

        return new QuoteVerificationResult(findings, parsed, sig);
    }

    /// <summary>Disposes the cached public key.</summary>
    public void Dispose()
    {
        _rsa?.Dispose();
        _ecdsa?.Dispose();
    }

    // The signature must fit the key type and, when the AK has a scheme (a restricted key signs
    // only with it, Part 1 §25.2.3), match it. Returns whether the hash can be computed.
    private bool CheckScheme(TpmtSignature sig, List<Finding> findings)
    {
        bool fitsKey = Ak.Type switch
        {
            TpmAlgId.Rsa => sig.IsRsa,
            TpmAlgId.Ecc => sig.IsEcc,
            _ => false,
        };
        if (!fitsKey)
        {
            findings.Add(Finding.Failure(QuoteFindingCodes.SignatureSchemeMismatch,
                $"signature scheme 0x{(ushort)sig.SigAlg:x4} cannot come from a 0x{(ushort)Ak.Type:x4} AK."));
            return false;
        }

        if (!Ak.Scheme.IsNull && (Ak.Scheme.Scheme != sig.SigAlg || Ak.Scheme.HashAlg != sig.Hash))
        {
            findings.Add(Finding.Failure(QuoteFindingCodes.SignatureSchemeMismatch,
                $"signature 0x{(ushort)sig.SigAlg:x4}/0x{(ushort)sig.Hash:x4} is not the AK's scheme "
                + $"0x{(ushort)Ak.Scheme.Scheme:x4}/0x{(ushort)Ak.Scheme.HashAlg:x4}."));
        }

        if (sig.SigAlg is not (TpmAlgId.RsaSsa or TpmAlgId.RsaPss or TpmAlgId.EcDsa) || !TpmAlgorithms.CanHash(sig.Hash)
            || !TpmAlgorithms.TryGetHashAlgorithmName(sig.Hash, out _))
        {
            findings.Add(Finding.Failure(QuoteFindingCodes.SignatureSchemeUnsupported,
                $"signature 0x{(ushort)sig.SigAlg:x4} with hash 0x{(ushort)sig.Hash:x4} cannot be verified here."));
            return false;
        }

        return true;
    }

    private void VerifySignature(ReadOnlySpan<byte> attest, TpmtSignature sig, List<Finding> findings)
    {
        if (_rsa is null && _ecdsa is null)
        {
            return; // The AK finding already explains why nothing can be verified.
        }

        Span<byte> digest = stackalloc byte[TpmAlgorithms.MaxDigestSize];
        digest = digest[..TpmAlgorithms.Hash(sig.Hash, attest, digest)];
        HashAlgorithmName hashName = TpmAlgorithms.ToHashAlgorithmName(sig.Hash);
        bool valid;
        try
        {
            if (_rsa is not null)
            {
                // RSASSA = PKCS#1 v1.5; RSAPSS with salt = hash length, which is what the TPM uses
                // for 2048-bit keys (TPM-FACTS §5, MSR CryptRsaPssSaltSize).
                RSASignaturePadding padding = sig.SigAlg == TpmAlgId.RsaPss ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1;
                valid = _rsa.VerifyHash(digest, sig.Signature, hashName, padding);
            }
            else
            {
                valid = VerifyEcdsa(digest, sig);
            }
        }
        catch (CryptographicException)
        {
            valid = false;
        }

        if (!valid)
        {
            findings.Add(Finding.Failure(QuoteFindingCodes.SignatureInvalid,
                $"the {sig.SigAlg} signature does not verify with the AK over the TPMS_ATTEST bytes."));
        }
    }

    // .NET wants IEEE P1363 (r ‖ s, each left-padded to the curve size).
    private bool VerifyEcdsa(ReadOnlySpan<byte> digest, TpmtSignature sig)
    {
        int n = _eccCoordinateSize;
        Span<byte> p1363 = stackalloc byte[2 * 66];
        p1363 = p1363[..(2 * n)];
        p1363.Clear();
        return LeftPad(sig.R, p1363[..n]) && LeftPad(sig.S, p1363[n..]) && _ecdsa!.VerifyHash(digest, p1363);
    }

    private static bool LeftPad(ReadOnlySpan<byte> value, Span<byte> destination)
    {
        int skip = 0;
        while (skip < value.Length && value[skip] == 0)
        {
            skip++;
        }

        value = value[skip..];
        if (value.Length > destination.Length)
        {
            return false;
        }

        value.CopyTo(destination[(destination.Length - value.Length)..]);
        return true;
    }

    // pcrDigest = H_sig(PCR values concatenated in list order, ascending index within each
    // selection) (TPM 2.0 Part 3 §18.4; TPM-FACTS §5): PcrDigest computes it; here each gap in the
    // reported values becomes a finding, per selection, missing values before wrong sizes.
    private static void CheckPcrDigest(TpmsQuoteInfo quote, TpmAlgId hash, PcrValues reported, List<Finding> findings)
    {
        if (PcrDigest.TryCompute(hash, quote.PcrSelect, (bank, pcr) => reported.TryGet(bank, pcr, out byte[] v) ? v : null,
            out byte[] digest, out IReadOnlyList<PcrDigestGap> gaps))
        {
            if (!digest.AsSpan().SequenceEqual(quote.PcrDigest))
            {
                findings.Add(Finding.Failure(QuoteFindingCodes.PcrDigestMismatch,
                    $"pcrDigest {Convert.ToHexStringLower(quote.PcrDigest)} is not {hash} of the reported PCR values "
                    + $"({Convert.ToHexStringLower(digest)})."));
            }

            return;
        }

        foreach (IGrouping<int, PcrDigestGap> selection in gaps.GroupBy(g => g.Selection))
        {
            TpmAlgId bank = quote.PcrSelect.Selections[selection.Key].Hash;
            int[] missing = [.. selection.Where(g => g.Missing).Select(g => g.Pcr)];
            int[] wrongSize = [.. selection.Where(g => !g.Missing).Select(g => g.Pcr)];
            if (missing.Length > 0)
            {
                findings.Add(Finding.Failure(QuoteFindingCodes.PcrValueMissing,
                    $"no reported {bank} value for quoted PCRs {string.Join(",", missing)}."));
            }

            if (wrongSize.Length > 0)
            {
                findings.Add(Finding.Failure(QuoteFindingCodes.PcrValueSizeInvalid,
                    $"reported {bank} values for PCRs {string.Join(",", wrongSize)} are not {TpmAlgorithms.GetDigestSize(bank)} bytes."));
            }
        }
    }
}
