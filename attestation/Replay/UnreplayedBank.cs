using KcryptPush.Attestation.EventLog;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.Replay;

/// <summary>A bank the log declares in its Spec ID event that replay could not compute, and why
/// (e.g. an algorithm id neither OpenSSL nor .NET knows). Reported, never dropped: a consumer must
/// see that the log carries a bank whose PCRs were not replayed.</summary>
/// <param name="AlgorithmId">TPM_ALG_ID from the log's Spec ID event.</param>
/// <param name="DigestSize">Digest size the Spec ID event declares for it.</param>
/// <param name="Reason">Why it was not replayed.</param>
public sealed record UnreplayedBank(ushort AlgorithmId, ushort DigestSize, string Reason)
{
    /// <summary>Bank name, e.g. "sm3_256", or "alg_0x####" for an unknown algorithm.</summary>
    public string Name => TpmAlgorithms.BankName(AlgorithmId);
}
