using System.Security.Cryptography;
using System.Text;
using KcryptPush.Tpm.Crypto;

namespace KcryptPush.Verifier.Store;

/// <summary>
/// The AES-256-GCM key (NIST SP 800-38D; 96-bit nonce, 128-bit tag) that keeps partition secrets
/// encrypted inside verifier.db. It is derived with HKDF-SHA256 (RFC 5869; IKM = the private scalar
/// of the verifier's secret transport key, salt empty, info <see cref="Info"/>) rather than kept in a
/// file of its own, so the key file that already exists (mode 0600, <c>verifier.secret-key</c>) is
/// the one thing to protect: verifier.db without it (a backup, a copied file, <c>nodes list --db</c>
/// elsewhere) holds no passphrase. The associated data <c>TpmHash ‖ "\n" ‖ Label</c> keeps a
/// ciphertext from being moved to another node or label inside the file.
/// </summary>
public sealed class SecretAtRestKey : IDisposable
{
    /// <summary>HKDF info: names the purpose, so this key differs from any other derived from the same scalar.</summary>
    public const string Info = "kcrypt-push secret at rest v1";

    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _key;

    private SecretAtRestKey(byte[] key)
    {
        _key = key;
    }

    /// <summary>Derives the key from the secret transport key (its private part must be present).</summary>
    /// <exception cref="CryptographicException">The key has no private part.</exception>
    public static SecretAtRestKey DeriveFrom(ECDiffieHellman transportKey)
    {
        ArgumentNullException.ThrowIfNull(transportKey);
        ECParameters p = transportKey.ExportParameters(includePrivateParameters: true);
        try
        {
            if (p.D is not { Length: > 0 } d)
            {
                throw new CryptographicException("the secret transport key has no private part");
            }

            return new SecretAtRestKey(HKDF.DeriveKey(HashAlgorithmName.SHA256, d, 32, [], Encoding.ASCII.GetBytes(Info)));
        }
        finally
        {
            if (p.D is not null)
            {
                CryptographicOperations.ZeroMemory(p.D);
            }
        }
    }

    /// <summary>Encrypts <paramref name="plaintext"/> into <paramref name="record"/> (its TpmHash and Label set).</summary>
    public void Seal(SecretRecord record, ReadOnlySpan<byte> plaintext)
    {
        ArgumentNullException.ThrowIfNull(record);
        ObjectDisposedException.ThrowIf(_key.Length == 0, this);
        byte[] nonce = RandomNumberGenerator.GetBytes(NonceSize);
        byte[] ciphertext = new byte[plaintext.Length];
        byte[] tag = new byte[TagSize];
        using (var gcm = new AesGcm(_key, TagSize))
        {
            gcm.Encrypt(nonce, plaintext, ciphertext, tag, SecretSeal.AssociatedData(record.TpmHash, record.Label));
        }

        record.Nonce = nonce;
        record.Ciphertext = ciphertext;
        record.Tag = tag;
        record.Value = [];
    }

    /// <summary>The plaintext of a record sealed by <see cref="Seal"/>; the caller zeroes it after use.</summary>
    /// <exception cref="CryptographicException">The record is not sealed, was altered, moved to another node or
    /// label, or sealed under another verifier's key.</exception>
    public byte[] Open(SecretRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        ObjectDisposedException.ThrowIf(_key.Length == 0, this);
        if (record.Nonce is not { Length: NonceSize } || record.Tag is not { Length: TagSize } || record.Ciphertext is null)
        {
            throw new CryptographicException($"secret {record.Label} of {record.TpmHash} is not sealed at rest");
        }

        try
        {
            return SecretSeal.Open(_key, record.TpmHash, record.Label, record.Nonce, record.Ciphertext, record.Tag);
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new CryptographicException(
                $"secret {record.Label} of {record.TpmHash} does not authenticate: altered in verifier.db, moved, or sealed under another secret key", e);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => CryptographicOperations.ZeroMemory(_key);
}
