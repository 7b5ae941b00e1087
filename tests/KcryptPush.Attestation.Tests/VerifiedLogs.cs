using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Evidence;

namespace KcryptPush.Attestation.Tests;

/// <summary>Rule tests judge a log as it is: the log replayed against its own replay, so every event that
/// extends a PCR is "verified" (what <c>policy run</c> does offline; the verifier replays against a quote).</summary>
internal static class VerifiedLogs
{
    public static VerifiedEventLog SelfReplayed(this ParsedEventLog log) => EvidenceVerifier.SelfReplay(log).Log;
}
