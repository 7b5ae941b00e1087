using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Commands;

/// <summary>
/// TPM2_PolicyPCR (TPM 2.0 Part 3 §23.7): handle policySession (no authorization); parameters
/// TPM2B_DIGEST pcrDigest, TPML_PCR_SELECTION pcrs. The TPM hashes the selected PCR values with the
/// session's hash (list order, then ascending index) into digestTPM; a non-empty
/// <paramref name="pcrDigest"/> must equal it (else TPM_RC_VALUE), an empty one means "the current
/// values". Then <c>d = H(d ‖ TPM_CC_PolicyPCR ‖ pcrs ‖ digestTPM)</c>, and the session remembers the
/// PCR update counter, so a PCR change before the session is used fails the use (TPM_RC_PCR_CHANGED).
/// </summary>
public static class PolicyPcrCommand
{
    /// <param name="pcrDigest">The expected digest of the selected values; empty to take the TPM's current values.</param>
    public static void PolicyPcr(this TpmCommandChannel tpm, uint policySession, ReadOnlySpan<byte> pcrDigest, TpmlPcrSelection pcrs)
    {
        ArgumentNullException.ThrowIfNull(pcrs);
        byte[] digest = pcrDigest.ToArray();
        tpm.Execute(new TpmCommand(
            TpmCc.PolicyPcr,
            [policySession],
            [],
            TpmCommand.Params(w =>
            {
                w.WriteTpm2b(digest);
                pcrs.Write(w);
            })));
    }
}
