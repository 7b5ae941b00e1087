namespace KcryptPush.Http;

/// <summary>One evaluated check in a <see cref="ReadinessReport"/>.</summary>
public sealed record ReadinessCheckReport(string Name, bool Ready, string Detail);

/// <summary>Every check's result; the service is ready when all passed.</summary>
public sealed record ReadinessReport(IReadOnlyList<ReadinessCheckReport> Checks)
{
    /// <summary>True when every check passed.</summary>
    public bool Ready => Checks.All(c => c.Ready);

    /// <summary>The names of the checks that failed.</summary>
    public IEnumerable<string> Failing => Checks.Where(c => !c.Ready).Select(c => c.Name);
}

/// <summary>Runs the registered <see cref="IReadinessCheck"/>s; a check that throws counts as failed with the exception's message.</summary>
public sealed class ReadinessProbe(IEnumerable<IReadinessCheck> checks)
{
    private readonly IReadinessCheck[] _checks = checks.ToArray();

    /// <summary>Evaluates every check now.</summary>
    public ReadinessReport Evaluate()
    {
        var results = new ReadinessCheckReport[_checks.Length];
        for (int i = 0; i < _checks.Length; i++)
        {
            IReadinessCheck check = _checks[i];
            ReadinessResult r;
            try
            {
                r = check.Check();
            }
#pragma warning disable CA1031 // a broken check must make the service unready, not break /readyz
            catch (Exception e)
#pragma warning restore CA1031
            {
                r = ReadinessResult.Fail($"check failed: {e.GetType().Name}: {e.Message}");
            }

            results[i] = new ReadinessCheckReport(check.Name, r.Ready, r.Detail);
        }

        return new ReadinessReport(results);
    }
}
