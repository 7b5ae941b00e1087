using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Commands;

/// <summary>
/// TPM2_PolicyOR (TPM 2.0 Part 3 §23.6): handle policySession; parameter TPML_DIGEST pHashList
/// (2..8 digests). The current digest must be one of them (else TPM_RC_VALUE); then
/// <c>d = H(zeros‖TPM_CC_PolicyOR‖d1‖…‖dn)</c>.
/// </summary>
public static class PolicyOrCommand
{
    public static void PolicyOr(this TpmCommandChannel tpm, uint policySession, IReadOnlyList<byte[]> digests)
    {
        ArgumentNullException.ThrowIfNull(digests);
        if (digests.Count is < 2 or > 8)
        {
            throw new ArgumentException($"TPM2_PolicyOR takes 2 to 8 digests, got {digests.Count}", nameof(digests));
        }
        var list = new TpmlDigest(digests);
        tpm.Execute(new TpmCommand(TpmCc.PolicyOR, [policySession], [], TpmCommand.Params(list.Write)));
    }
}
