using KcryptPush.Contracts.V1;

namespace KcryptPush.Verifier.Operator;

/// <summary>The codes of <see cref="OperatorCommandResult"/> and their factories.</summary>
public static class OperatorResults
{
    /// <summary>The command took effect (or there was nothing to change).</summary>
    public const string Ok = "ok";

    /// <summary>No node has this TPM hash.</summary>
    public const string NodeUnknown = "node-unknown";

    /// <summary>The input is malformed.</summary>
    public const string Invalid = "invalid";

    /// <summary>The verifier could not carry the command out.</summary>
    public const string Failed = "failed";

    /// <summary>Success.</summary>
    public static OperatorCommandResult Success(string message) => new(true, Ok, message);

    /// <summary>Unknown node.</summary>
    public static OperatorCommandResult Unknown(string tpmHash) => new(false, NodeUnknown, $"no node has TPM hash {tpmHash}");

    /// <summary>Bad input.</summary>
    public static OperatorCommandResult Bad(string message) => new(false, Invalid, message);
}
