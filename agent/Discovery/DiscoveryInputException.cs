namespace KcryptPush.Agent.Discovery;

/// <summary>The plugin event on stdin is not a kcrypt discovery.password event with a partition label.</summary>
public sealed class DiscoveryInputException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DiscoveryInputException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
