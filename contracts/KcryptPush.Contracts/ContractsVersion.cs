namespace KcryptPush.Contracts;

/// <summary>The wire version of the message contracts; message namespaces carry it (V1).</summary>
public static class ContractsVersion
{
    /// <summary>Current contract namespace suffix.</summary>
    public const string Current = "V1";
}
