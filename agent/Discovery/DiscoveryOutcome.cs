namespace KcryptPush.Agent.Discovery;

/// <summary>The end of a discovery call: the passphrase, or why there is none.</summary>
/// <param name="Passphrase">The released passphrase (UTF-8 decoded), or null.</param>
/// <param name="Error">One line for kcrypt and the operator: the verdict's reason codes and messages, unknown node, not configured, timed out.</param>
public sealed record DiscoveryOutcome(string? Passphrase, string? Error)
{
    /// <summary>A success.</summary>
    public static DiscoveryOutcome Released(string passphrase) => new(passphrase, null);

    /// <summary>A failure.</summary>
    public static DiscoveryOutcome Failed(string error) => new(null, error);
}
