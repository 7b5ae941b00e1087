namespace KcryptPush.Verifier.Verdicts;

/// <summary>
/// When silence is the node's fault: only for time the verifier could have heard it. The clock starts
/// at the later of the node's last evidence (or its enrolment) and the moment the verifier's broker
/// connection last came up (after an outage, plus the nodes' time to reconnect: <see cref="BrokerConnectionClock.CountsFrom"/>),
/// so neither a broker outage nor a verifier that was not running counts against a node; while the
/// verifier is not connected no node is silent at all.
/// </summary>
public static class SilenceRule
{
    /// <summary>From when the node's quiet counts: null while the verifier cannot hear anything.</summary>
    /// <param name="lastHeard">The node's last evidence, or its enrolment when it never sent any (UTC).</param>
    /// <param name="connectedSince">When the verifier's broker connection last came up (with any settle time added); null while it is down.</param>
    public static DateTime? CountsFrom(DateTime lastHeard, DateTime? connectedSince) =>
        connectedSince is { } up ? (up > lastHeard ? up : lastHeard) : null;

    /// <summary>True when the node has been quiet for <paramref name="limit"/> of time the verifier could hear it.</summary>
    public static bool IsSilent(DateTime now, DateTime lastHeard, DateTime? connectedSince, TimeSpan limit) =>
        CountsFrom(lastHeard, connectedSince) is { } from && now - from >= limit;
}
