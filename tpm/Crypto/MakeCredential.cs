using System.Buffers.Binary;
using System.Security.Cryptography;

namespace KcryptPush.Tpm.Crypto;

/// <summary>
/// MakeCredential in software (TPM 2.0 Part 1 §24 "Credential Protection"; Part 3 §12.6; reference
/// code SecretToCredential, ProduceOuterWrap): wraps a credential to an EK and an AK Name so that only
/// TPM2_ActivateCredential on the TPM holding both releases it.
/// </summary>
/// <remarks>
/// Steps, with Hn = the EK's nameAlg and name = the AK's Name:
/// seed (RSA: random, OAEP-encrypted with label "IDENTITY\0"; ECC: KDFe over an ephemeral ECDH);
/// symKey = KDFa(Hn, seed, "STORAGE", name, empty, symKeyBits);
/// encIdentity = AES-CFB(symKey, IV 0, UINT16 |CV| ‖ CV);
/// hmacKey = KDFa(Hn, seed, "INTEGRITY", empty, empty, 8·|Hn|);
/// outerHMAC = HMAC-Hn(hmacKey, encIdentity ‖ name);
/// TPM2B_ID_OBJECT = size ‖ UINT16 |Hn| ‖ outerHMAC ‖ encIdentity.
/// </remarks>
public static partial class MakeCredential
{
    private const string IdentityLabel = "IDENTITY";

    /// <summary>Wraps <paramref name="credential"/> to an RSA EK.</summary>
    /// <param name="ekPublic">The EK's modulus and exponent (missing or 0 = 65537).</param>
    /// <param name="ekNameAlg">The EK's nameAlg (SHA-256 for the L-1 template).</param>
    /// <param name="symKeyBits">The EK's symmetric key size in bits (128 for L-1).</param>
    /// <param name="akName">The AK's Name (nameAlg UINT16 ‖ digest), without a TPM2B size.</param>
    /// <param name="credential">The secret, at most |ekNameAlg| bytes (TPM2B_DIGEST).</param>
    /// <exception cref="ArgumentException">An empty Name, a credential longer than the digest, an unsupported hash or key size.</exception>
    public static CredentialBlob ForRsaEk(
        RSAParameters ekPublic,
        HashAlgorithmName ekNameAlg,
        int symKeyBits,
        ReadOnlySpan<byte> akName,
        ReadOnlySpan<byte> credential)
    {
        Validate(ekNameAlg, symKeyBits, akName, credential);
        SharedSeed shared = SecretSharing.ForRsa(ekPublic, ekNameAlg, IdentityLabel);
        try
        {
            return Protect(shared, ekNameAlg, symKeyBits, akName, credential);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared.Seed);
        }
    }

    /// <summary>Wraps <paramref name="credential"/> to an ECC EK.</summary>
    /// <param name="ekPublic">The EK's named curve and public point (P-256 for L-2, P-384 for H-3).</param>
    /// <param name="ekNameAlg">The EK's nameAlg (SHA-256 for L-2, SHA-384 for H-3).</param>
    /// <param name="symKeyBits">The EK's symmetric key size in bits (128 for L-2, 256 for H-3).</param>
    /// <param name="akName">The AK's Name (nameAlg UINT16 ‖ digest), without a TPM2B size.</param>
    /// <param name="credential">The secret, at most |ekNameAlg| bytes (TPM2B_DIGEST).</param>
    /// <exception cref="ArgumentException">An empty Name, a credential longer than the digest, an unsupported hash or key size, no curve or point.</exception>
    /// <exception cref="CryptographicException">The point is not on the curve.</exception>
    public static CredentialBlob ForEccEk(
        ECParameters ekPublic,
        HashAlgorithmName ekNameAlg,
        int symKeyBits,
        ReadOnlySpan<byte> akName,
        ReadOnlySpan<byte> credential)
    {
        Validate(ekNameAlg, symKeyBits, akName, credential);
        SharedSeed shared = SecretSharing.ForEcc(ekPublic, ekNameAlg, IdentityLabel);
        try
        {
            return Protect(shared, ekNameAlg, symKeyBits, akName, credential);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared.Seed);
        }
    }

    /// <summary>The symmetric and integrity wrap for a given seed (TPM 2.0 Part 1 §24.4, §24.5).</summary>
    internal static CredentialBlob Protect(
        SharedSeed shared,
        HashAlgorithmName nameAlg,
        int symKeyBits,
        ReadOnlySpan<byte> akName,
        ReadOnlySpan<byte> credential)
    {
        Validate(nameAlg, symKeyBits, akName, credential);
        int digestSize = TpmHashAlgorithms.DigestSize(nameAlg, nameof(nameAlg));
        byte[] seed = shared.Seed;
        byte[] symKey = KeyDerivation.Kdfa(nameAlg, seed, "STORAGE", akName, [], symKeyBits);
        byte[] hmacKey = KeyDerivation.Kdfa(nameAlg, seed, "INTEGRITY", [], [], 8 * digestSize);
        byte[] plain = CredentialBlob.Tpm2b(credential);
        try
        {
            byte[] encIdentity = TpmAesCfb.Encrypt(symKey, plain);

            using var hmac = IncrementalHash.CreateHMAC(nameAlg, hmacKey);
            hmac.AppendData(encIdentity);
            hmac.AppendData(akName);
            byte[] outerHmac = hmac.GetHashAndReset();

            // TPMS_ID_OBJECT: TPM2B_DIGEST integrityHMAC ‖ encIdentity (no size of its own).
            byte[] idObject = new byte[2 + outerHmac.Length + encIdentity.Length];
            BinaryPrimitives.WriteUInt16BigEndian(idObject, (ushort)outerHmac.Length);
            outerHmac.CopyTo(idObject.AsSpan(2));
            encIdentity.CopyTo(idObject.AsSpan(2 + outerHmac.Length));

            return new CredentialBlob(CredentialBlob.Tpm2b(idObject), CredentialBlob.Tpm2b(shared.EncryptedSecret));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(symKey);
            CryptographicOperations.ZeroMemory(hmacKey);
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    private static void Validate(HashAlgorithmName nameAlg, int symKeyBits, ReadOnlySpan<byte> akName, ReadOnlySpan<byte> credential)
    {
        int digestSize = TpmHashAlgorithms.DigestSize(nameAlg, "ekNameAlg");
        if (symKeyBits is not (128 or 192 or 256))
        {
            throw new ArgumentException($"the EK's symmetric key must be AES-128, -192 or -256, not {symKeyBits} bits", nameof(symKeyBits));
        }
        if (akName.IsEmpty)
        {
            throw new ArgumentException("the AK Name is empty: MakeCredential binds the credential to a Name", nameof(akName));
        }
        if (credential.Length > digestSize)
        {
            // TPM2_MakeCredential answers TPM_RC_SIZE here (Part 3 §12.6): the TPM would refuse to activate it.
            throw new ArgumentException(
                $"a {credential.Length}-byte credential is longer than the EK nameAlg digest ({nameAlg.Name}, {digestSize} bytes)",
                nameof(credential));
        }
    }
}
