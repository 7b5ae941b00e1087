using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Sessions;

/// <summary>
/// One TPMS_AUTH_COMMAND in a command's authorization area (TPM 2.0 Part 2 §10.13.2): sessionHandle
/// u32, TPM2B_NONCE nonceCaller, TPMA_SESSION u8, TPM2B_AUTH hmac. We use only password
/// authorizations and policy sessions without PolicyAuthValue, so no HMAC is ever computed.
/// </summary>
public sealed record TpmAuthorization(uint SessionHandle, byte[] NonceCaller, TpmaSession Attributes, byte[] Hmac)
{
    /// <summary>
    /// A password authorization: <c>40000009 | 0000 | attrs | TPM2B password</c>; 9 bytes when the
    /// password is empty (the usual endorsement/owner auth and an AUTHREAD NV index's auth).
    /// </summary>
    public static TpmAuthorization Password(ReadOnlySpan<byte> password = default) =>
        new(TpmHandle.RsPw, [], TpmaSession.ContinueSession, password.ToArray());

    /// <summary>A policy session used without an HMAC: <c>handle | 0000 | attrs | 0000</c>.</summary>
    public static TpmAuthorization Policy(uint sessionHandle, bool continueSession = true) =>
        new(sessionHandle, [], continueSession ? TpmaSession.ContinueSession : TpmaSession.None, []);

    /// <summary>Writes this TPMS_AUTH_COMMAND.</summary>
    public void WriteTo(TpmWriter writer)
    {
        writer.WriteUInt32(SessionHandle);
        writer.WriteTpm2b(NonceCaller);
        writer.WriteUInt8((byte)Attributes);
        writer.WriteTpm2b(Hmac);
    }
}
