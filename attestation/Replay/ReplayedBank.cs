using KcryptPush.Attestation.EventLog;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.Replay;

/// <summary>The PCR values one bank reaches by replaying the log: only the PCRs the log extends.
/// These are what the log CLAIMS; they mean something only when equal to quoted PCRs.</summary>
public sealed class ReplayedBank
{
    /// <summary>TPM_ALG_ID of the bank.</summary>
    public required ushort AlgorithmId { get; init; }

    /// <summary>Final value of every PCR the log extends in this bank, ordered by PCR index.</summary>
    public required IReadOnlyDictionary<int, byte[]> Pcrs { get; init; }

    /// <summary>Bank name, e.g. "sha256".</summary>
    public string Name => TpmAlgorithms.BankName(AlgorithmId);
}
