namespace KcryptPush.Verifier.Store;

/// <summary>
/// The TPMS_CLOCK_INFO (TPM 2.0 Part 2 §10.11.1) of the latest quote the verifier had accepted from
/// a node when it issued a challenge. A quote over that challenge was made after the challenge was
/// issued, so after that accepted quote: its clock info must not be lower. Quotes over challenges
/// issued while another quote was in flight (the running agent and the kcrypt discovery call can
/// quote concurrently) have no order between them, so the floor is taken at issue time, never
/// from whatever arrived last.
/// </summary>
public sealed class ClockFloor
{
    /// <summary>TPMS_CLOCK_INFO.clock (ms).</summary>
    public long Clock { get; set; }

    /// <summary>TPMS_CLOCK_INFO.resetCount.</summary>
    public long ResetCount { get; set; }

    /// <summary>TPMS_CLOCK_INFO.restartCount.</summary>
    public long RestartCount { get; set; }

    /// <summary>The floor for a challenge issued now: the node's latest accepted clock info, if any.</summary>
    public static ClockFloor? Of(NodeAttestation? node) =>
        node is { HasClock: true }
            ? new ClockFloor { Clock = node.LastClock, ResetCount = node.LastResetCount, RestartCount = node.LastRestartCount }
            : null;
}
