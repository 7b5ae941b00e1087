using System.Security.Cryptography;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Replay;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Bench.Load;

/// <summary>A machine's boot as the simulated nodes report it: a real event log and the PCR values it
/// replays to (PCRs the log does not touch keep their reset values).</summary>
internal sealed class BootState
{
    private readonly ReplayResult _replay;

    public BootState(byte[] log)
    {
        Log = log;
        LogSha256 = SHA256.HashData(log);
        _replay = EventLogReplayer.Replay(EventLogParser.Parse(log));
    }

    public byte[] Log { get; }

    public byte[] LogSha256 { get; }

    /// <summary>The value of <paramref name="pcr"/> in bank <paramref name="alg"/> after this boot.</summary>
    public byte[] Value(TpmAlgId alg, int pcr)
    {
        if (_replay.Bank((ushort)alg) is { } bank && bank.Pcrs.TryGetValue(pcr, out byte[]? value))
        {
            return value;
        }

        byte[] initial = new byte[TpmAlgorithms.GetDigestSize(alg)];
        PcrInitialValues.Write(pcr, _replay.Pcr0StartLocality, initial);
        return initial;
    }
}
