using System.Security.Cryptography;
using System.Text;
using KcryptPush.Contracts.V1;
using KcryptPush.Tpm.Crypto;

namespace KcryptPush.Verifier.Operator;

/// <summary>
/// The envelope of <see cref="SetSecret"/> (its contract documents the scheme): an ephemeral ECDH
/// P-256 key agrees a secret with the verifier's transport key (<see cref="SecretKey"/>), HKDF-SHA256
/// (RFC 5869; IKM = the shared secret, salt empty, info "kcrypt-push set-secret v1") makes an AES-256
/// key, and AES-GCM (NIST SP 800-38D; 96-bit nonce, 128-bit tag) encrypts the UTF-8 passphrase with
/// associated data <c>TpmHash ‖ "\n" ‖ Label</c>, so a ciphertext cannot be moved to another node or label.
/// </summary>
public static class SecretTransport
{
    /// <summary>HKDF info string.</summary>
    public const string Info = "kcrypt-push set-secret v1";

    /// <summary>AES-GCM nonce size in bytes.</summary>
    public const int NonceSize = 12;

    /// <summary>AES-GCM tag size in bytes.</summary>
    public const int TagSize = 16;

    /// <summary>The longest passphrase accepted (bytes).</summary>
    public const int MaxSecretSize = 4096;

    /// <summary>Encrypts <paramref name="passphrase"/> to the verifier's public key (DER SubjectPublicKeyInfo, P-256); the operator tool's side.</summary>
    /// <exception cref="CryptographicException">The verifier's key is not an ECDH P-256 SubjectPublicKeyInfo.</exception>
    public static SetSecret Seal(byte[] verifierPublicKey, string tpmHash, string label, ReadOnlySpan<byte> passphrase, string operatorName)
    {
        ArgumentNullException.ThrowIfNull(verifierPublicKey);
        ArgumentNullException.ThrowIfNull(tpmHash);
        ArgumentNullException.ThrowIfNull(label);
        using ECDiffieHellman verifier = ImportP256(verifierPublicKey);
        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        byte[] key = DeriveKey(ephemeral, verifier.PublicKey);
        try
        {
            byte[] nonce = RandomNumberGenerator.GetBytes(NonceSize);
            byte[] ciphertext = new byte[passphrase.Length];
            byte[] tag = new byte[TagSize];
            using (var gcm = new AesGcm(key, TagSize))
            {
                gcm.Encrypt(nonce, passphrase, ciphertext, tag, SecretSeal.AssociatedData(tpmHash, label));
            }

            return new SetSecret(tpmHash, label, ephemeral.ExportSubjectPublicKeyInfo(), nonce, ciphertext, tag, operatorName);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Decrypts a <see cref="SetSecret"/> with the verifier's private key; the verifier's side.</summary>
    /// <exception cref="SecretTransportException">Wrong sizes, a key that is not P-256, or a ciphertext that does not authenticate (tampered, other node or label, other verifier's key).</exception>
    public static byte[] Open(ECDiffieHellman verifierKey, SetSecret message)
    {
        ArgumentNullException.ThrowIfNull(verifierKey);
        ArgumentNullException.ThrowIfNull(message);
        if (message.Nonce is not { Length: NonceSize } || message.Tag is not { Length: TagSize })
        {
            throw new SecretTransportException($"the nonce must be {NonceSize} bytes and the tag {TagSize} bytes");
        }

        if (message.Ciphertext is null || message.Ciphertext.Length > MaxSecretSize)
        {
            throw new SecretTransportException($"the ciphertext must be at most {MaxSecretSize} bytes");
        }

        ECDiffieHellman ephemeral;
        try
        {
            ephemeral = ImportP256(message.EphemeralPublicKey ?? []);
        }
        catch (CryptographicException e)
        {
            throw new SecretTransportException($"the ephemeral public key is not an ECDH P-256 SubjectPublicKeyInfo: {e.Message}");
        }

        using (ephemeral)
        {
            byte[] key = DeriveKey(verifierKey, ephemeral.PublicKey);
            byte[] plaintext = new byte[message.Ciphertext.Length];
            try
            {
                using var gcm = new AesGcm(key, TagSize);
                gcm.Decrypt(message.Nonce, message.Ciphertext, message.Tag, plaintext, SecretSeal.AssociatedData(message.TpmHash ?? "", message.Label ?? ""));
                return plaintext;
            }
            catch (AuthenticationTagMismatchException)
            {
                throw new SecretTransportException("the secret does not authenticate: tampered, made for another node or label, or encrypted to another verifier's key");
            }
            finally
            {
                CryptographicOperations.ZeroMemory(key);
            }
        }
    }

    /// <summary>Imports a DER SubjectPublicKeyInfo and insists on NIST P-256.</summary>
    /// <exception cref="CryptographicException">Not an EC key on P-256.</exception>
    public static ECDiffieHellman ImportP256(byte[] subjectPublicKeyInfo)
    {
        var key = ECDiffieHellman.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out int read);
            if (read != subjectPublicKeyInfo.Length)
            {
                throw new CryptographicException("trailing bytes after the SubjectPublicKeyInfo");
            }

            ECParameters p = key.ExportParameters(false);
            if (p.Curve.Oid?.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
            {
                throw new CryptographicException("the key is not on NIST P-256");
            }

            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private static byte[] DeriveKey(ECDiffieHellman own, ECDiffieHellmanPublicKey other)
    {
        byte[] shared = own.DeriveRawSecretAgreement(other);
        try
        {
            return HKDF.DeriveKey(HashAlgorithmName.SHA256, shared, 32, [], Encoding.UTF8.GetBytes(Info));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared);
        }
    }
}
