using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Structures;

/// <summary>
/// A scheme selector with its hash: TPMT_RSA_SCHEME, TPMT_ECC_SCHEME, TPMT_KDF_SCHEME,
/// TPMT_KEYEDHASH_SCHEME or TPMT_SIG_SCHEME (TPM 2.0 Part 2 §11.2). On the wire: scheme
/// UINT16, then nothing for NULL and RSAES, hashAlg for the others, hashAlg + count for ECDAA.
/// </summary>
/// <param name="Scheme">The scheme (TPM_ALG_NULL for none).</param>
/// <param name="HashAlg">The scheme's hash, TPM_ALG_NULL when the scheme has none.</param>
/// <param name="Count">ECDAA commit count; 0 otherwise.</param>
public readonly record struct TpmtScheme(TpmAlgId Scheme, TpmAlgId HashAlg, ushort Count = 0)
{
    /// <summary>TPM_ALG_NULL scheme.</summary>
    public static TpmtScheme Null => new(TpmAlgId.Null, TpmAlgId.Null);

    /// <summary>True for TPM_ALG_NULL.</summary>
    public bool IsNull => Scheme == TpmAlgId.Null;

    /// <summary>Reads a scheme of the given kind; algorithms not allowed there are rejected.</summary>
    public static TpmtScheme Read(ref TpmReader reader, TpmSchemeKind kind)
    {
        int at = reader.Position;
        var scheme = (TpmAlgId)reader.ReadUInt16("scheme");
        if (scheme == TpmAlgId.Null)
        {
            return Null;
        }

        if (!IsAllowed(kind, scheme))
        {
            throw reader.FailAt(at, $"a {kind} scheme (got 0x{(ushort)scheme:x4})");
        }

        if (scheme == TpmAlgId.RsaEs)
        {
            // TPMS_ENC_SCHEME_RSAES is TPMS_EMPTY.
            return new TpmtScheme(scheme, TpmAlgId.Null);
        }

        int hashAt = reader.Position;
        var hash = (TpmAlgId)reader.ReadUInt16("scheme hashAlg");
        if (!TpmAlgorithms.IsHash(hash))
        {
            throw reader.FailAt(hashAt, $"TPMI_ALG_HASH (got 0x{(ushort)hash:x4})");
        }

        ushort count = scheme == TpmAlgId.EcDaa ? reader.ReadUInt16("TPMS_SCHEME_ECDAA.count") : (ushort)0;
        return new TpmtScheme(scheme, hash, count);
    }

    /// <summary>Writes this scheme in its wire form.</summary>
    public void Write(TpmWriter writer)
    {
        writer.WriteUInt16((ushort)Scheme);
        if (Scheme is TpmAlgId.Null or TpmAlgId.RsaEs)
        {
            return;
        }

        writer.WriteUInt16((ushort)HashAlg);
        if (Scheme == TpmAlgId.EcDaa)
        {
            writer.WriteUInt16(Count);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Scheme switch
    {
        TpmAlgId.Null => "NULL",
        TpmAlgId.EcDaa => $"{Scheme}/{HashAlg}/count {Count}",
        TpmAlgId.RsaEs => "RsaEs",
        _ => $"{Scheme}/{HashAlg}",
    };

    private static bool IsAllowed(TpmSchemeKind kind, TpmAlgId s) => kind switch
    {
        TpmSchemeKind.Rsa => s is TpmAlgId.RsaSsa or TpmAlgId.RsaPss or TpmAlgId.RsaEs or TpmAlgId.Oaep,
        TpmSchemeKind.Ecc => s is TpmAlgId.EcDsa or TpmAlgId.EcDaa or TpmAlgId.Sm2 or TpmAlgId.EcSchnorr
            or TpmAlgId.EcDh or TpmAlgId.EcMqv,
        TpmSchemeKind.Kdf => s is TpmAlgId.Mgf1 or TpmAlgId.Kdf1Sp800_56A or TpmAlgId.Kdf2 or TpmAlgId.Kdf1Sp800_108,
        TpmSchemeKind.KeyedHash => s is TpmAlgId.Hmac,
        TpmSchemeKind.Signature => s is TpmAlgId.RsaSsa or TpmAlgId.RsaPss or TpmAlgId.EcDsa or TpmAlgId.EcDaa
            or TpmAlgId.Sm2 or TpmAlgId.EcSchnorr or TpmAlgId.Hmac,
        _ => false,
    };
}
