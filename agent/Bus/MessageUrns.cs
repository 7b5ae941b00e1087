namespace KcryptPush.Agent.Bus;

/// <summary>
/// MassTransit's message type names (<c>urn:message:NAMESPACE:TYPE</c>), as they appear in an
/// envelope's <c>messageType</c> and in the <c>MT-Request-AcceptType</c> header.
/// </summary>
internal static class MessageUrns
{
    /// <summary>The prefix of every fault's type: <c>urn:message:MassTransit:Fault[[NAMESPACE:TYPE]]</c>, then <c>urn:message:MassTransit:Fault</c>.</summary>
    public const string FaultPrefix = "urn:message:MassTransit:Fault";

    /// <summary>The URN of a contract type (namespace <c>KcryptPush.Contracts.V1</c>).</summary>
    public static string Of<T>() => Of(typeof(T));

    /// <summary>The URN of <paramref name="type"/>: its namespace and name (no nested or generic contracts here).</summary>
    public static string Of(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return $"urn:message:{type.Namespace}:{type.Name}";
    }
}
