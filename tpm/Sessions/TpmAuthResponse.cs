using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Sessions;

/// <summary>
/// One TPMS_AUTH_RESPONSE (TPM 2.0 Part 2 §10.13.3): TPM2B_NONCE nonceTPM, TPMA_SESSION u8,
/// TPM2B_AUTH hmac. For a password the TPM answers <c>0000 | 01 | 0000</c>.
/// </summary>
public sealed record TpmAuthResponse(byte[] NonceTpm, TpmaSession Attributes, byte[] Hmac)
{
    public static TpmAuthResponse Read(ref TpmReader reader)
    {
        byte[] nonce = reader.ReadTpm2b("TPMS_AUTH_RESPONSE.nonce").ToArray();
        var attributes = (TpmaSession)reader.ReadUInt8("TPMS_AUTH_RESPONSE.sessionAttributes");
        byte[] hmac = reader.ReadTpm2b("TPMS_AUTH_RESPONSE.hmac").ToArray();
        return new TpmAuthResponse(nonce, attributes, hmac);
    }
}
