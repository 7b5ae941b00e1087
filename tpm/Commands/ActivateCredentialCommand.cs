using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Sessions;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Commands;

/// <summary>
/// TPM2_ActivateCredential (TPM 2.0 Part 3 §12.5): handles activateHandle (the AK, ADMIN role:
/// a password works while adminWithPolicy is clear) and keyHandle (the EK, its policy session);
/// parameters TPM2B_ID_OBJECT credentialBlob, TPM2B_ENCRYPTED_SECRET secret → TPM2B_DIGEST certInfo.
/// </summary>
public static class ActivateCredentialCommand
{
    /// <param name="credentialBlob">The TPM2B_ID_OBJECT contents (without its u16 size).</param>
    /// <param name="encryptedSecret">The TPM2B_ENCRYPTED_SECRET contents (without its u16 size).</param>
    public static byte[] ActivateCredential(
        this TpmCommandChannel tpm,
        uint activateHandle,
        TpmAuthorization activateAuth,
        uint keyHandle,
        TpmAuthorization keyAuth,
        ReadOnlySpan<byte> credentialBlob,
        ReadOnlySpan<byte> encryptedSecret)
    {
        byte[] blob = credentialBlob.ToArray();
        byte[] secret = encryptedSecret.ToArray();
        TpmResponse response = tpm.Execute(new TpmCommand(
            TpmCc.ActivateCredential,
            [activateHandle, keyHandle],
            [activateAuth, keyAuth],
            TpmCommand.Params(w =>
            {
                w.WriteTpm2b(blob);
                w.WriteTpm2b(secret);
            })));
        var r = new TpmReader(response.Parameters);
        byte[] certInfo = r.ReadTpm2b("TPM2B_DIGEST certInfo").ToArray();
        r.EnsureAtEnd("TPM2_ActivateCredential response");
        return certInfo;
    }
}
