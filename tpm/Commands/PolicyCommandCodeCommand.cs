using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Commands;

/// <summary>
/// TPM2_PolicyCommandCode (TPM 2.0 Part 3 §23.11): handle policySession (no authorization);
/// parameter TPM_CC code. Limits the session to authorizing <paramref name="code"/> (another command
/// gets TPM_RC_POLICY_CC); <c>d = H(d ‖ TPM_CC_PolicyCommandCode ‖ code)</c>.
/// </summary>
public static class PolicyCommandCodeCommand
{
    public static void PolicyCommandCode(this TpmCommandChannel tpm, uint policySession, TpmCc code) =>
        tpm.Execute(new TpmCommand(
            TpmCc.PolicyCommandCode,
            [policySession],
            [],
            TpmCommand.Params(w => w.WriteUInt32((uint)code))));
}
