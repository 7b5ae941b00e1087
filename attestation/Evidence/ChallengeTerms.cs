using KcryptPush.Tpm.Structures;

namespace KcryptPush.Attestation.Evidence;

/// <summary>What the verifier asked for when it issued the challenge the evidence answers.</summary>
/// <param name="Id">The challenge's id, for messages.</param>
/// <param name="Nonce">The challenge's nonce: the first part of the evidence binding the quote must sign.</param>
/// <param name="Selection">The PCR selection asked for, in the order the quote must list it.</param>
/// <param name="ClockFloor">The node's latest accepted TPMS_CLOCK_INFO when the challenge was issued
/// (<see cref="ClockCheck"/>); null when none was accepted yet. <c>Safe</c> is not read.</param>
public sealed record ChallengeTerms(Guid Id, byte[] Nonce, TpmlPcrSelection Selection, TpmsClockInfo? ClockFloor)
{
    /// <summary>The SHA-256 of the log the node last passed with, if any: only used to name what of a
    /// binding differs (a quote that signed that log while the message names another).</summary>
    public byte[]? AcceptedLogSha256 { get; init; }
}
