namespace KcryptPush.Attestation.Replay;

/// <summary>Outcome of comparing a replayed log with actual PCR values.</summary>
public sealed class ReplayVerification
{
    /// <summary>One check per replayed PCR of every bank present in the actual values.</summary>
    public required IReadOnlyList<PcrCheck> Checks { get; init; }

    /// <summary>Replayed banks that the actual values do not have; nothing in them was checked.</summary>
    public required IReadOnlyList<string> UncheckedBanks { get; init; }

    /// <summary>The PCRs that did not match, even with a workaround.</summary>
    public IEnumerable<PcrCheck> Mismatches => Checks.Where(c => c.Status == PcrCheckStatus.Mismatched);

    /// <summary>The PCRs that matched only with a named workaround.</summary>
    public IEnumerable<PcrCheck> Workarounds => Checks.Where(c => c.Status == PcrCheckStatus.MatchedOnlyWithWorkaround);

    /// <summary>True when no PCR mismatched, at least one was compared, and every one could be
    /// compared; PCRs matched through a workaround count, and are listed in <see cref="Workarounds"/>.</summary>
    public bool Succeeded => Checks.Count > 0 && Checks.All(c => c.Status is PcrCheckStatus.Matched or PcrCheckStatus.MatchedOnlyWithWorkaround);

    /// <summary>True when every PCR matched without any workaround.</summary>
    public bool MatchedStrictly => Checks.Count > 0 && Checks.All(c => c.Status == PcrCheckStatus.Matched);
}
