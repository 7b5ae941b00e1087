using System.Buffers.Binary;

namespace KcryptPush.Tpm.Crypto;

/// <summary>
/// The output of MakeCredential: the two parameters of TPM2_ActivateCredential, each as a complete
/// TPM2B <b>including</b> its UINT16 size prefix, ready to marshal or to store.
/// </summary>
/// <param name="IdObject">TPM2B_ID_OBJECT (TPM 2.0 Part 2 §11.4.5): size ‖ TPM2B integrityHMAC ‖ encIdentity.</param>
/// <param name="EncryptedSecret">TPM2B_ENCRYPTED_SECRET (Part 2 §11.4.33): size ‖ OAEP ciphertext or TPMS_ECC_POINT.</param>
public sealed record CredentialBlob(byte[] IdObject, byte[] EncryptedSecret)
{
    /// <summary>The TPM2B_ID_OBJECT without its size prefix (TPMS_ID_OBJECT).</summary>
    public ReadOnlyMemory<byte> IdObjectContents => IdObject.AsMemory(2);

    /// <summary>The TPM2B_ENCRYPTED_SECRET without its size prefix.</summary>
    public ReadOnlyMemory<byte> EncryptedSecretContents => EncryptedSecret.AsMemory(2);

    /// <summary>UINT16 size ‖ contents.</summary>
    internal static byte[] Tpm2b(ReadOnlySpan<byte> contents)
    {
        if (contents.Length > ushort.MaxValue)
        {
            throw new ArgumentException($"{contents.Length} bytes do not fit a TPM2B");
        }
        byte[] result = new byte[2 + contents.Length];
        BinaryPrimitives.WriteUInt16BigEndian(result, (ushort)contents.Length);
        contents.CopyTo(result.AsSpan(2));
        return result;
    }
}
