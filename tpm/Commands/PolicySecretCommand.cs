using KcryptPush.Tpm.Sessions;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Commands;

/// <summary>
/// TPM2_PolicySecret (TPM 2.0 Part 3 §23.4): handles authHandle (password here) and
/// policySession; parameters TPM2B nonceTPM, cpHashA, policyRef (all empty here) and INT32
/// expiration 0 → TPM2B timeout, TPMT_TK_AUTH (ignored). Updates the session's digest with
/// <c>H(H(d‖TPM_CC_PolicySecret‖Name(auth))‖policyRef)</c>.
/// </summary>
public static class PolicySecretCommand
{
    public static void PolicySecret(this TpmCommandChannel tpm, uint authHandle, uint policySession, ReadOnlySpan<byte> password = default)
    {
        tpm.Execute(new TpmCommand(
            TpmCc.PolicySecret,
            [authHandle, policySession],
            [TpmAuthorization.Password(password)],
            TpmCommand.Params(w =>
            {
                w.WriteTpm2b([]);
                w.WriteTpm2b([]);
                w.WriteTpm2b([]);
                w.WriteInt32(0);
            })));
    }
}
