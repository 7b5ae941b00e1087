namespace KcryptPush.Attestation.Replay;

/// <summary>Result for one PCR of one bank of <see cref="ReplayVerifier.Verify"/>.</summary>
public sealed class PcrCheck
{
    /// <summary>Bank name, e.g. "sha256".</summary>
    public required string Bank { get; init; }

    /// <summary>TPM_ALG_ID of the bank.</summary>
    public required ushort AlgorithmId { get; init; }

    /// <summary>PCR index.</summary>
    public required int Pcr { get; init; }

    /// <summary>The outcome.</summary>
    public required PcrCheckStatus Status { get; init; }

    /// <summary>The value replayed from the log (without any workaround).</summary>
    public required byte[] Replayed { get; init; }

    /// <summary>The actual value, null when <see cref="Status"/> is <see cref="PcrCheckStatus.NotInActual"/>.</summary>
    public required byte[]? Actual { get; init; }

    /// <summary>Id of the workaround that made the PCR match, for <see cref="PcrCheckStatus.MatchedOnlyWithWorkaround"/>.</summary>
    public string? Workaround { get; init; }

    /// <summary>Indices of the log events extended into this PCR (filled when it did not simply match).</summary>
    public IReadOnlyList<int> EventIndices { get; init; } = [];

    /// <inheritdoc/>
    public override string ToString() => Status switch
    {
        PcrCheckStatus.Matched => $"{Bank} PCR {Pcr}: matched",
        PcrCheckStatus.MatchedOnlyWithWorkaround => $"{Bank} PCR {Pcr}: matched only with workaround \"{Workaround}\"",
        PcrCheckStatus.NotInActual => $"{Bank} PCR {Pcr}: no actual value to compare with",
        _ => $"{Bank} PCR {Pcr}: mismatch, log replays to {Convert.ToHexStringLower(Replayed)}, actual {Convert.ToHexStringLower(Actual ?? [])}"
             + $" ({EventIndices.Count} events: {string.Join(",", EventIndices)})",
    };
}
