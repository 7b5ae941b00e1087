using System.Buffers.Binary;
using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Release;

/// <summary>
/// The authPolicy of a release key (DESIGN.md "Flows", TPM-FACTS §8a): the key can authorize
/// TPM2_ActivateCredential only in the boot and PCR state that was attested:
/// <c>PolicyPCR(selection, H(quoted values)) ∧ PolicyCounterTimer(resetCount == quoted) ∧
/// PolicyCommandCode(TPM2_ActivateCredential)</c>, each a policy digest update of TPM 2.0 Part 3 §23
/// over SHA-256 (the release key's nameAlg). The verifier recomputes it from values it has just
/// verified; the agent replays the same three assertions in a policy session.
/// </summary>
public static class ReleaseKeyPolicy
{
    /// <summary>The policy session hash and the release key's nameAlg.</summary>
    public const TpmAlgId Hash = TpmAlgId.Sha256;

    /// <summary>Offset of clockInfo.resetCount in a marshalled TPMS_TIME_INFO: time u64, clock u64 (Part 2 §10.11.6).</summary>
    public const ushort ResetCountOffset = 16;

    /// <summary>TPM_EO_EQ (Part 2 §6.8): operandA == operandB, compared as unsigned big-endian bytes.</summary>
    public const ushort OperationEqual = 0x0000;

    /// <summary>The release key's authPolicy for <paramref name="selection"/> with the given values and <paramref name="resetCount"/>.</summary>
    /// <param name="selection">The quoted PCR selection, in quote order.</param>
    /// <param name="pcrValuesDigest">SHA-256 over the selected PCR values in selection order (<see cref="PcrValuesDigest"/>).</param>
    /// <param name="resetCount">TPMS_CLOCK_INFO.resetCount of the quote.</param>
    public static byte[] Compute(TpmlPcrSelection selection, ReadOnlySpan<byte> pcrValuesDigest, uint resetCount)
    {
        ArgumentNullException.ThrowIfNull(selection);
        if (pcrValuesDigest.Length != TpmAlgorithms.GetDigestSize(Hash))
        {
            throw new ArgumentException($"the PCR values digest must be {TpmAlgorithms.GetDigestSize(Hash)} bytes (SHA-256), got {pcrValuesDigest.Length}", nameof(pcrValuesDigest));
        }

        byte[] d = new byte[TpmAlgorithms.GetDigestSize(Hash)];
        d = AfterPolicyPcr(d, selection, pcrValuesDigest);
        d = AfterPolicyCounterTimer(d, CounterTimerOperand(resetCount), ResetCountOffset, OperationEqual);
        return AfterPolicyCommandCode(d, TpmCc.ActivateCredential);
    }

    /// <summary>
    /// SHA-256 over the values of <paramref name="selection"/> in selection order (list order, then
    /// ascending index), which is the digest TPM2_PolicyPCR binds (Part 3 §23.7); null when a selected
    /// PCR has no value of its bank's size.
    /// </summary>
    /// <param name="valueOf">The value of (bank, pcr), or null when not known.</param>
    public static byte[]? PcrValuesDigest(TpmlPcrSelection selection, Func<TpmAlgId, int, byte[]?> valueOf) =>
        PcrDigest.Compute(Hash, selection, valueOf);

    /// <summary>operandB of PolicyCounterTimer for resetCount: the UINT32 big-endian, as TPMS_TIME_INFO marshals it.</summary>
    public static byte[] CounterTimerOperand(uint resetCount)
    {
        byte[] operand = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(operand, resetCount);
        return operand;
    }

    /// <summary>PolicyPCR (Part 3 §23.7): <c>d' = H(d ‖ TPM_CC_PolicyPCR ‖ TPML_PCR_SELECTION ‖ pcrDigest)</c>.</summary>
    public static byte[] AfterPolicyPcr(ReadOnlySpan<byte> digest, TpmlPcrSelection selection, ReadOnlySpan<byte> pcrValuesDigest)
    {
        ArgumentNullException.ThrowIfNull(selection);
        var w = new TpmWriter(digest.Length + 64);
        w.WriteBytes(digest);
        w.WriteUInt32((uint)TpmCc.PolicyPcr);
        selection.Write(w);
        w.WriteBytes(pcrValuesDigest);
        return TpmAlgorithms.Hash(Hash, w.WrittenSpan);
    }

    /// <summary>
    /// PolicyCounterTimer (Part 3 §23.10): <c>args = H(operandB ‖ offset ‖ operation)</c>, then
    /// <c>d' = H(d ‖ TPM_CC_PolicyCounterTimer ‖ args)</c>.
    /// </summary>
    public static byte[] AfterPolicyCounterTimer(ReadOnlySpan<byte> digest, ReadOnlySpan<byte> operandB, ushort offset, ushort operation)
    {
        var a = new TpmWriter(operandB.Length + 4);
        a.WriteBytes(operandB);
        a.WriteUInt16(offset);
        a.WriteUInt16(operation);
        byte[] args = TpmAlgorithms.Hash(Hash, a.WrittenSpan);
        var w = new TpmWriter(digest.Length + 4 + args.Length);
        w.WriteBytes(digest);
        w.WriteUInt32((uint)TpmCc.PolicyCounterTimer);
        w.WriteBytes(args);
        return TpmAlgorithms.Hash(Hash, w.WrittenSpan);
    }

    /// <summary>PolicyCommandCode (Part 3 §23.11): <c>d' = H(d ‖ TPM_CC_PolicyCommandCode ‖ code)</c>.</summary>
    public static byte[] AfterPolicyCommandCode(ReadOnlySpan<byte> digest, TpmCc code)
    {
        var w = new TpmWriter(digest.Length + 8);
        w.WriteBytes(digest);
        w.WriteUInt32((uint)TpmCc.PolicyCommandCode);
        w.WriteUInt32((uint)code);
        return TpmAlgorithms.Hash(Hash, w.WrittenSpan);
    }
}
