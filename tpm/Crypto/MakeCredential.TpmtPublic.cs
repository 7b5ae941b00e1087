using System.Security.Cryptography;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Crypto;

public static partial class MakeCredential
{
    /// <summary>
    /// Wraps <paramref name="credential"/> to the EK described by its TPMT_PUBLIC: the nameAlg, the
    /// symmetric key size (TPMS_RSA_PARMS / TPMS_ECC_PARMS .symmetric) and the RSA modulus and
    /// exponent or the ECC curve and point are taken from it, as TPM2_MakeCredential does.
    /// </summary>
    /// <param name="ekPublic">The EK's public area (as read from the TPM or an EK template).</param>
    /// <param name="akName">The AK's Name (nameAlg UINT16 ‖ digest), without a TPM2B size.</param>
    /// <param name="credential">The secret, at most the EK nameAlg's digest size.</param>
    /// <exception cref="ArgumentException">
    /// The key is neither RSA nor ECC, its symmetric algorithm is not AES (a storage key needs one to
    /// be activated with), its nameAlg is not SHA-1/256/384/512, or the Name/credential are refused.
    /// </exception>
    public static CredentialBlob ForEk(TpmtPublic ekPublic, ReadOnlySpan<byte> akName, ReadOnlySpan<byte> credential)
    {
        ArgumentNullException.ThrowIfNull(ekPublic);
        if (ekPublic.Symmetric.Algorithm != TpmAlgId.Aes)
        {
            throw new ArgumentException(
                $"the EK's symmetric algorithm is 0x{(ushort)ekPublic.Symmetric.Algorithm:x4}, not AES (0x0006): it cannot protect a credential",
                nameof(ekPublic));
        }
        if (!TpmAlgorithms.TryGetHashAlgorithmName(ekPublic.NameAlg, out HashAlgorithmName nameAlg))
        {
            throw new ArgumentException($"the EK's nameAlg 0x{(ushort)ekPublic.NameAlg:x4} is not a supported hash", nameof(ekPublic));
        }
        int symKeyBits = ekPublic.Symmetric.KeyBits;

        return ekPublic.Type switch
        {
            TpmAlgId.Rsa => ForRsaEk(RsaParametersOf(ekPublic), nameAlg, symKeyBits, akName, credential),
            TpmAlgId.Ecc => ForEccEk(ekPublic.GetEcParameters(), nameAlg, symKeyBits, akName, credential),
            _ => throw new ArgumentException($"the EK's type 0x{(ushort)ekPublic.Type:x4} is neither RSA nor ECC", nameof(ekPublic)),
        };
    }

    private static RSAParameters RsaParametersOf(TpmtPublic ekPublic)
    {
        uint e = ekPublic.EffectiveExponent;
        byte[] exponent = [(byte)(e >> 24), (byte)(e >> 16), (byte)(e >> 8), (byte)e];
        return new RSAParameters { Modulus = ekPublic.Unique, Exponent = exponent };
    }
}
