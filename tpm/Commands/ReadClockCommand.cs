using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Commands;

/// <summary>TPMS_TIME_INFO (TPM 2.0 Part 2 §10.11.6): time, then TPMS_CLOCK_INFO {clock, resetCount, restartCount, safe}.</summary>
public sealed record TpmTimeInfo(ulong Time, ulong Clock, uint ResetCount, uint RestartCount, bool Safe);

/// <summary>TPM2_ReadClock (TPM 2.0 Part 3 §29.1).</summary>
public static class ReadClockCommand
{
    public static TpmTimeInfo ReadClock(this TpmCommandChannel tpm)
    {
        TpmResponse response = tpm.Execute(new TpmCommand(TpmCc.ReadClock, [], [], []));
        var r = new TpmReader(response.Parameters);
        var info = new TpmTimeInfo(
            r.ReadUInt64("TPMS_TIME_INFO.time"),
            r.ReadUInt64("TPMS_CLOCK_INFO.clock"),
            r.ReadUInt32("TPMS_CLOCK_INFO.resetCount"),
            r.ReadUInt32("TPMS_CLOCK_INFO.restartCount"),
            r.ReadUInt8("TPMS_CLOCK_INFO.safe") != 0);
        r.EnsureAtEnd("TPM2_ReadClock response");
        return info;
    }
}
