namespace KcryptPush.Agent.Hosting;

/// <summary>The agent's settings cannot be used (bad --ek, --tpm, AK handle...): a usage error, exit 2.</summary>
public sealed class AgentConfigurationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AgentConfigurationException(string message)
        : base(message)
    {
    }
}
