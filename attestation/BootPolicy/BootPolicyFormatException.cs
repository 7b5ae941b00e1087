namespace KcryptPush.Attestation.BootPolicy;

/// <summary>
/// The one exception for a policy file that cannot be loaded: <see cref="Kind"/> says what is
/// wrong, <see cref="Path"/> where (a JSON path such as <c>$.bootApplications[1].allowed.sha256[0]</c>).
/// </summary>
public sealed class BootPolicyFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public BootPolicyFormatException(BootPolicyErrorKind kind, string path, string problem, Exception? inner = null)
        : base($"invalid measured-boot policy at {path}: {problem}", inner)
    {
        Kind = kind;
        Path = path;
        Problem = problem;
    }

    /// <summary>What is wrong.</summary>
    public BootPolicyErrorKind Kind { get; }

    /// <summary>JSON path of the offending value ("$" for the document).</summary>
    public string Path { get; }

    /// <summary>The problem, without the path.</summary>
    public string Problem { get; }
}
