namespace KcryptPush.Attestation.Findings;

/// <summary>
/// The outcome of a verification step: its findings in the order the checks ran. It passes
/// when no finding is a <see cref="FindingSeverity.Failure"/>.
/// </summary>
public class VerificationResult
{
    private readonly Finding[] _findings;

    /// <summary>Creates a result from findings (copied).</summary>
    public VerificationResult(IEnumerable<Finding> findings)
    {
        ArgumentNullException.ThrowIfNull(findings);
        _findings = findings.ToArray();
    }

    /// <summary>All findings in check order.</summary>
    public IReadOnlyList<Finding> Findings => _findings;

    /// <summary>True when there is no failure finding.</summary>
    public bool Passed
    {
        get
        {
            foreach (Finding f in _findings)
            {
                if (f.IsFailure)
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>The failure findings.</summary>
    public IEnumerable<Finding> Failures => _findings.Where(f => f.IsFailure);

    /// <summary>True when a finding with <paramref name="code"/> is present.</summary>
    public bool Has(string code)
    {
        foreach (Finding f in _findings)
        {
            if (f.Code == code)
            {
                return true;
            }
        }

        return false;
    }

    /// <inheritdoc/>
    public override string ToString() =>
        _findings.Length == 0 ? "pass" : string.Join("; ", _findings.Select(f => f.ToString()));
}
