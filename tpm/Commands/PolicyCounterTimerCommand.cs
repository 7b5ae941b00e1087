using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Commands;

/// <summary>
/// TPM2_PolicyCounterTimer (TPM 2.0 Part 3 §23.10): handle policySession (no authorization);
/// parameters TPM2B_OPERAND operandB, UINT16 offset, TPM_EO operation. The TPM compares
/// <c>operandB</c> with the bytes of its marshalled TPMS_TIME_INFO at <c>offset</c> (as unsigned
/// big-endian numbers) and fails with TPM_RC_POLICY when the comparison is false (a trial session
/// skips the check); then <c>d = H(d ‖ TPM_CC_PolicyCounterTimer ‖ H(operandB ‖ offset ‖ operation))</c>.
/// </summary>
public static class PolicyCounterTimerCommand
{
    /// <param name="operandB">The value to compare with, big-endian (its length is the compared width).</param>
    /// <param name="offset">Byte offset into TPMS_TIME_INFO (Part 2 §10.11.6), e.g. 16 for clockInfo.resetCount.</param>
    /// <param name="operation">A TPM_EO value (Part 2 §6.8), e.g. 0x0000 TPM_EO_EQ.</param>
    public static void PolicyCounterTimer(this TpmCommandChannel tpm, uint policySession, ReadOnlySpan<byte> operandB, ushort offset, ushort operation)
    {
        byte[] operand = operandB.ToArray();
        tpm.Execute(new TpmCommand(
            TpmCc.PolicyCounterTimer,
            [policySession],
            [],
            TpmCommand.Params(w =>
            {
                w.WriteTpm2b(operand);
                w.WriteUInt16(offset);
                w.WriteUInt16(operation);
            })));
    }
}
