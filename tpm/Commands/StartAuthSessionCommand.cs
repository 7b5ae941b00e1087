using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Commands;

/// <summary>TPM_SE (TPM 2.0 Part 2 Table 22).</summary>
public enum TpmSessionType : byte
{
    Hmac = 0x00,
    Policy = 0x01,
    Trial = 0x03,
}

/// <summary>The handle and nonceTPM of a started session.</summary>
public sealed record TpmStartedSession(uint Handle, byte[] NonceTpm, TpmAlgId AuthHash);

/// <summary>
/// TPM2_StartAuthSession (TPM 2.0 Part 3 §11.1): handles tpmKey and bind (both TPM_RH_NULL:
/// unsalted, unbound), parameters TPM2B nonceCaller, TPM2B encryptedSalt, TPM_SE sessionType,
/// TPMT_SYM_DEF symmetric, TPMI_ALG_HASH authHash → session handle, TPM2B nonceTPM.
/// </summary>
public static class StartAuthSessionCommand
{
    /// <summary>
    /// Starts an unsalted, unbound session with no parameter encryption. nonceCaller is random
    /// and of the digest size of <paramref name="authHash"/> (at least 16 bytes, Part 3 §11.1).
    /// </summary>
    public static TpmStartedSession StartAuthSession(this TpmCommandChannel tpm, TpmSessionType type, TpmAlgId authHash)
    {
        int size = TpmAlgorithms.GetDigestSize(authHash);
        if (size == 0)
        {
            throw new ArgumentException($"authHash 0x{(ushort)authHash:X4} is not a hash algorithm", nameof(authHash));
        }
        byte[] nonceCaller = System.Security.Cryptography.RandomNumberGenerator.GetBytes(size);
        TpmResponse response = tpm.Execute(new TpmCommand(
            TpmCc.StartAuthSession,
            [TpmHandle.RhNull, TpmHandle.RhNull],
            [],
            TpmCommand.Params(w =>
            {
                w.WriteTpm2b(nonceCaller);
                w.WriteTpm2b([]);
                w.WriteUInt8((byte)type);
                w.WriteUInt16((ushort)TpmAlgId.Null); // TPMT_SYM_DEF: NULL has no keyBits/mode
                w.WriteUInt16((ushort)authHash);
            }),
            ResponseHandleCount: 1));
        var r = new TpmReader(response.Parameters);
        byte[] nonceTpm = r.ReadTpm2b("TPM2B_NONCE nonceTPM").ToArray();
        r.EnsureAtEnd("TPM2_StartAuthSession response");
        return new TpmStartedSession(response.Handles[0], nonceTpm, authHash);
    }
}
