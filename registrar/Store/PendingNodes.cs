namespace KcryptPush.Registrar.Store;

/// <summary>How both stores show a TPM hash that registered but never enrolled: as a node built from its challenges.</summary>
public static class PendingNodes
{
    /// <summary>
    /// A node in state <see cref="NodeState.Pending"/> from one TPM hash's challenges: host name, EK and
    /// EK trust of the latest, first and last registration times, no AK (none is enrolled).
    /// </summary>
    public static NodeRecord From(IEnumerable<ChallengeRecord> challenges)
    {
        List<ChallengeRecord> byTime = [.. challenges.OrderBy(c => c.IssuedAt.ToUniversalTime())];
        if (byTime.Count == 0)
        {
            throw new ArgumentException("no challenges", nameof(challenges));
        }

        ChallengeRecord latest = byTime[^1];
        return new NodeRecord
        {
            TpmHash = latest.TpmHash,
            EkPublic = latest.EkPublic,
            EkCertificate = latest.EkCertificate,
            EkTrust = latest.EkTrust,
            Hostname = latest.Hostname,
            State = NodeState.Pending,
            CreatedAt = byTime[0].IssuedAt,
            UpdatedAt = latest.IssuedAt,
        };
    }

    /// <summary>One pending node per TPM hash of <paramref name="challenges"/> (of hashes with no node record), ordered by TPM hash.</summary>
    public static IReadOnlyList<NodeRecord> Group(IEnumerable<ChallengeRecord> challenges) =>
        [.. challenges.GroupBy(c => c.TpmHash, StringComparer.Ordinal).Select(From).OrderBy(n => n.TpmHash, StringComparer.Ordinal)];
}
