namespace KcryptPush.Http;

/// <summary>The result of one readiness check: passed or not, and a line saying what was seen.</summary>
public readonly record struct ReadinessResult(bool Ready, string Detail)
{
    /// <summary>A passed check.</summary>
    public static ReadinessResult Pass(string detail) => new(true, detail);

    /// <summary>A failed check.</summary>
    public static ReadinessResult Fail(string detail) => new(false, detail);
}

/// <summary>
/// One check of <c>/readyz</c> (registered as a singleton; every one is asked on each request and
/// each scrape of <c>kcrypt_push_ready</c>, so a check must be cheap and must not block on the network).
/// </summary>
public interface IReadinessCheck
{
    /// <summary>The check's name in the JSON body and in <c>ready</c>'s output (broker, consumers, store...).</summary>
    string Name { get; }

    /// <summary>Checks now.</summary>
    ReadinessResult Check();
}
