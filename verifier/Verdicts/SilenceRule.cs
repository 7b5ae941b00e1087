namespace KcryptPush.Verifier.Verdicts;

/// <summary>
/// When silence is the node's fault: only for time the verifier could have heard it. The clock starts
/// at the later of the node's last evidence (or its enrolment) and the moment the verifier's broker
/// connection last came up (after an outage, plus the nodes' time to reconnect: <see cref="BrokerConnectionClock.CountsFrom"/>),
/// so neither a broker outage nor a verifier that was not running counts against a node; while the
/// verifier is not connected no node is silent at all. It stops at what the verifier has heard up to:
/// now minus the wait in its own attestation queue (<see cref="AttestationQueueLag"/>), since evidence
/// still waiting there was sent but not yet heard, through the verifier's fault, not the node's.
/// </summary>
public static class SilenceRule
{
    /// <summary>From when the node's quiet counts: null while the verifier cannot hear anything.</summary>
    /// <param name="lastHeard">The node's last evidence, or its enrolment when it never sent any (UTC).</param>
    /// <param name="connectedSince">When the verifier's broker connection last came up (with any settle time added); null while it is down.</param>
    public static DateTime? CountsFrom(DateTime lastHeard, DateTime? connectedSince) =>
        connectedSince is { } up ? (up > lastHeard ? up : lastHeard) : null;

    /// <summary>
    /// How much of the queue's wait is taken off the quiet: the wait, never below zero and at most
    /// <paramref name="limit"/>. The cap keeps a stuck verifier (or a forger of sent times while no
    /// honest evidence is consumed) from suppressing silence: a node that really went quiet is
    /// reported at the latest two limits after its last evidence.
    /// </summary>
    public static TimeSpan BacklogAllowance(TimeSpan queueLag, TimeSpan limit) =>
        queueLag <= TimeSpan.Zero ? TimeSpan.Zero : queueLag < limit ? queueLag : limit;

    /// <summary>
    /// True when the node has been quiet for <paramref name="limit"/> of time the verifier could hear it:
    /// from <see cref="CountsFrom"/> up to <paramref name="now"/> minus <see cref="BacklogAllowance"/>.
    /// </summary>
    /// <param name="queueLag">The wait of evidence in the verifier's attestation queue now (<see cref="AttestationQueueLag.Current()"/>); zero when unknown.</param>
    public static bool IsSilent(DateTime now, DateTime lastHeard, DateTime? connectedSince, TimeSpan limit, TimeSpan queueLag = default) =>
        CountsFrom(lastHeard, connectedSince) is { } from && now - BacklogAllowance(queueLag, limit) - from >= limit;
}
