using System.Security.Cryptography;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Structures;

/// <summary>Conversion of an RSA or ECC TPMT_PUBLIC to .NET public keys and DER SubjectPublicKeyInfo.</summary>
public sealed partial class TpmtPublic
{
    /// <summary>
    /// The RSA public key (modulus = unique, exponent = exponent or 65537). The caller owns the result.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not an RSA key.</exception>
    /// <exception cref="CryptographicException">The modulus is not usable.</exception>
    public RSA CreateRsa()
    {
        if (Type != TpmAlgId.Rsa)
        {
            throw new InvalidOperationException($"TPMT_PUBLIC type 0x{(ushort)Type:x4} is not RSA.");
        }

        if (Unique.Length == 0 || Unique[0] == 0)
        {
            throw new CryptographicException("The RSA modulus is empty or has a leading zero byte.");
        }

        uint e = EffectiveExponent;
        byte[] exponent = e switch
        {
            <= 0xFF => [(byte)e],
            <= 0xFFFF => [(byte)(e >> 8), (byte)e],
            <= 0xFFFFFF => [(byte)(e >> 16), (byte)(e >> 8), (byte)e],
            _ => [(byte)(e >> 24), (byte)(e >> 16), (byte)(e >> 8), (byte)e],
        };

        var rsa = RSA.Create();
        try
        {
            rsa.ImportParameters(new RSAParameters { Modulus = Unique, Exponent = exponent });
            return rsa;
        }
        catch
        {
            rsa.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The ECDSA public key on the NIST curve named by curveID, x and y left-padded to the curve
    /// size. The caller owns the result.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not an ECC key.</exception>
    /// <exception cref="NotSupportedException">Not a NIST P-256/384/521 curve.</exception>
    /// <exception cref="CryptographicException">The point is not usable (not on the curve, too long).</exception>
    public ECDsa CreateEcdsa()
    {
        ECParameters parameters = GetEcParameters();
        var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportParameters(parameters);
            return ecdsa;
        }
        catch
        {
            ecdsa.Dispose();
            throw;
        }
    }

    /// <summary>The .NET public key for an RSA or ECC object. The caller owns the result.</summary>
    /// <exception cref="InvalidOperationException">Neither RSA nor ECC.</exception>
    public AsymmetricAlgorithm CreatePublicKey() => Type switch
    {
        TpmAlgId.Rsa => CreateRsa(),
        TpmAlgId.Ecc => CreateEcdsa(),
        _ => throw new InvalidOperationException($"TPMT_PUBLIC type 0x{(ushort)Type:x4} has no asymmetric public key."),
    };

    /// <summary>
    /// DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) of an RSA or ECC key: what
    /// <c>openssl pkey -pubin -outform DER</c> prints for it.
    /// </summary>
    public byte[] ExportSubjectPublicKeyInfo()
    {
        using AsymmetricAlgorithm key = CreatePublicKey();
        return key.ExportSubjectPublicKeyInfo();
    }

    /// <summary>Size in bytes of one coordinate on a supported curve, or 0.</summary>
    public static int GetCurveCoordinateSize(TpmEccCurve curve) => curve switch
    {
        TpmEccCurve.NistP256 => 32,
        TpmEccCurve.NistP384 => 48,
        TpmEccCurve.NistP521 => 66,
        _ => 0,
    };

    internal ECParameters GetEcParameters()
    {
        if (Type != TpmAlgId.Ecc)
        {
            throw new InvalidOperationException($"TPMT_PUBLIC type 0x{(ushort)Type:x4} is not ECC.");
        }

        ECCurve curve = Curve switch
        {
            TpmEccCurve.NistP256 => ECCurve.NamedCurves.nistP256,
            TpmEccCurve.NistP384 => ECCurve.NamedCurves.nistP384,
            TpmEccCurve.NistP521 => ECCurve.NamedCurves.nistP521,
            _ => throw new NotSupportedException($"TPM_ECC_CURVE 0x{(ushort)Curve:x4} is not supported."),
        };
        int size = GetCurveCoordinateSize(Curve);
        return new ECParameters
        {
            Curve = curve,
            Q = new ECPoint { X = PadCoordinate(UniqueX, size), Y = PadCoordinate(UniqueY, size) },
        };
    }

    /// <summary>Left-pads (or strips leading zero bytes from) a big-endian integer to <paramref name="size"/> bytes.</summary>
    /// <exception cref="CryptographicException">The value does not fit.</exception>
    internal static byte[] PadCoordinate(ReadOnlySpan<byte> value, int size)
    {
        int firstNonZero = 0;
        while (firstNonZero < value.Length && value[firstNonZero] == 0)
        {
            firstNonZero++;
        }

        ReadOnlySpan<byte> significant = value[firstNonZero..];
        if (significant.Length > size)
        {
            throw new CryptographicException($"An ECC value of {significant.Length} bytes exceeds the curve size {size}.");
        }

        byte[] padded = new byte[size];
        significant.CopyTo(padded.AsSpan(size - significant.Length));
        return padded;
    }
}
