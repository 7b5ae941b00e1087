using KcryptPush.Tpm.Marshalling;

namespace KcryptPush.Tpm.Structures;

/// <summary>
/// TPMS_CLOCK_INFO (TPM 2.0 Part 2 §10.11.1): clock UINT64 (ms), resetCount UINT32,
/// restartCount UINT32, safe TPMI_YES_NO. resetCount and restartCount are obfuscated in
/// attestations signed by keys outside the endorsement/platform hierarchies (§10.11.8).
/// </summary>
public readonly record struct TpmsClockInfo(ulong Clock, uint ResetCount, uint RestartCount, bool Safe)
{
    /// <summary>Reads a TPMS_CLOCK_INFO; safe must be 0 or 1 (TPMI_YES_NO).</summary>
    public static TpmsClockInfo Read(ref TpmReader reader)
    {
        ulong clock = reader.ReadUInt64("TPMS_CLOCK_INFO.clock");
        uint reset = reader.ReadUInt32("TPMS_CLOCK_INFO.resetCount");
        uint restart = reader.ReadUInt32("TPMS_CLOCK_INFO.restartCount");
        int at = reader.Position;
        byte safe = reader.ReadUInt8("TPMS_CLOCK_INFO.safe");
        if (safe > 1)
        {
            throw reader.FailAt(at, $"TPMI_YES_NO safe 0 or 1 (got {safe})");
        }

        return new TpmsClockInfo(clock, reset, restart, safe == 1);
    }

    /// <summary>Writes this TPMS_CLOCK_INFO.</summary>
    public void Write(TpmWriter writer)
    {
        writer.WriteUInt64(Clock);
        writer.WriteUInt32(ResetCount);
        writer.WriteUInt32(RestartCount);
        writer.WriteUInt8(Safe ? (byte)1 : (byte)0);
    }
}
