namespace KcryptPush.Registrar.Enrolment;

/// <summary>The outcome of a key attribute check: null <see cref="Problem"/> means acceptable.</summary>
/// <param name="Problem">What is wrong, naming the attribute.</param>
public readonly record struct KeyCheckResult(string? Problem)
{
    /// <summary>True when the key passed.</summary>
    public bool Ok => Problem is null;

    /// <summary>A passing result.</summary>
    public static KeyCheckResult Pass => new(null);
}
