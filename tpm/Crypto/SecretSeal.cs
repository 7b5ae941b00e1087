using System.Security.Cryptography;
using System.Text;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Crypto;

/// <summary>
/// Seals a released partition secret to one TPM (DESIGN.md "Flows": secrets never cross the bus in
/// the clear): the UTF-8 passphrase is AES-256-GCM encrypted under a fresh random 32-byte key, and
/// that key is the credential of a MakeCredential (TPM 2.0 Part 1 §24, Part 3 §12.6) to the node's
/// EK bound to its AK Name, so only TPM2_ActivateCredential on that TPM recovers it.
/// Associated data = UTF-8 of <c>TpmHash ‖ "\n" ‖ Label</c> (contracts SealedSecret), so a sealed
/// secret cannot be replayed under another node or label.
/// </summary>
public static class SecretSeal
{
    /// <summary>The AES-256 key size and the credential size (fits TPM2B_DIGEST of SHA-256 and SHA-384 EKs).</summary>
    public const int KeySize = 32;

    /// <summary>The AES-GCM nonce size.</summary>
    public const int NonceSize = 12;

    /// <summary>The AES-GCM tag size.</summary>
    public const int TagSize = 16;

    /// <summary>
    /// Seals <paramref name="secret"/> for the TPM holding <paramref name="ekPublic"/> and the AK named
    /// <paramref name="akName"/>.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The EK cannot protect a credential (see <see cref="MakeCredential.ForEk"/>) or its nameAlg digest
    /// is shorter than the 32-byte key (a SHA-1 EK: TPM2_ActivateCredential would refuse it).
    /// </exception>
    public static SealedSecretParts Seal(TpmtPublic ekPublic, ReadOnlySpan<byte> akName, string tpmHash, string label, ReadOnlySpan<byte> secret)
    {
        ArgumentNullException.ThrowIfNull(ekPublic);
        ArgumentNullException.ThrowIfNull(tpmHash);
        ArgumentNullException.ThrowIfNull(label);
        int digest = TpmAlgorithms.GetDigestSize(ekPublic.NameAlg);
        if (digest < KeySize)
        {
            // MakeCredential's credential is a TPM2B_DIGEST of the EK nameAlg (Part 3 §12.6 TPM_RC_SIZE).
            throw new ArgumentException(
                $"the EK nameAlg 0x{(ushort)ekPublic.NameAlg:x4} digest ({digest} bytes) cannot carry a {KeySize}-byte AES-256 key",
                nameof(ekPublic));
        }

        byte[] key = RandomNumberGenerator.GetBytes(KeySize);
        try
        {
            CredentialBlob blob = MakeCredential.ForEk(ekPublic, akName, key);
            byte[] nonce = RandomNumberGenerator.GetBytes(NonceSize);
            byte[] ciphertext = new byte[secret.Length];
            byte[] tag = new byte[TagSize];
            using (var gcm = new AesGcm(key, TagSize))
            {
                gcm.Encrypt(nonce, secret, ciphertext, tag, AssociatedData(tpmHash, label));
            }

            return new SealedSecretParts(label, blob.IdObjectContents.ToArray(), blob.EncryptedSecretContents.ToArray(), nonce, ciphertext, tag);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>
    /// Decrypts a sealed secret with the key TPM2_ActivateCredential released (the agent's side).
    /// </summary>
    /// <exception cref="AuthenticationTagMismatchException">Wrong key, node, label, or altered bytes.</exception>
    /// <exception cref="ArgumentException">The key, nonce or tag has the wrong size.</exception>
    public static byte[] Open(ReadOnlySpan<byte> key, string tpmHash, string label, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag)
    {
        ArgumentNullException.ThrowIfNull(tpmHash);
        ArgumentNullException.ThrowIfNull(label);
        if (key.Length != KeySize || nonce.Length != NonceSize || tag.Length != TagSize)
        {
            throw new ArgumentException(
                $"a sealed secret needs a {KeySize}-byte key, {NonceSize}-byte nonce and {TagSize}-byte tag, got {key.Length}, {nonce.Length}, {tag.Length}");
        }

        byte[] plain = new byte[ciphertext.Length];
        using var gcm = new AesGcm(key, TagSize);
        gcm.Decrypt(nonce, ciphertext, tag, plain, AssociatedData(tpmHash, label));
        return plain;
    }

    /// <summary>Opens <paramref name="parts"/> for <paramref name="tpmHash"/> with the activated key.</summary>
    public static byte[] Open(ReadOnlySpan<byte> key, string tpmHash, SealedSecretParts parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        return Open(key, tpmHash, parts.Label, parts.Nonce, parts.Ciphertext, parts.Tag);
    }

    /// <summary>UTF-8 of <c>TpmHash ‖ "\n" ‖ Label</c>.</summary>
    public static byte[] AssociatedData(string tpmHash, string label) => Encoding.UTF8.GetBytes(tpmHash + "\n" + label);
}
