namespace KcryptPush.Agent.Bus;

/// <summary>A request could not be sent or was not answered: the broker is away or refused us (transient).</summary>
public class BusRequestException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BusRequestException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>A request was sent (the broker confirmed it) but no answer came within the request timeout.</summary>
public sealed class BusRequestTimeoutException : BusRequestException
{
    /// <summary>Creates the exception.</summary>
    public BusRequestTimeoutException(string message)
        : base(message)
    {
    }
}

/// <summary>The service answered with a MassTransit <c>Fault</c>: its consumer threw on the request.</summary>
public sealed class BusFaultException : BusRequestException
{
    /// <summary>Creates the exception from the fault's exceptions (type and message, outermost first).</summary>
    public BusFaultException(IReadOnlyList<(string ExceptionType, string Message)> exceptions)
        : base("the service answered with a fault: " + string.Join("; ", exceptions.Select(e => $"{e.ExceptionType}: {e.Message}")))
    {
        Exceptions = exceptions;
    }

    /// <summary>The fault's exceptions.</summary>
    public IReadOnlyList<(string ExceptionType, string Message)> Exceptions { get; }

    /// <summary>The message of the first exception whose type name ends with <paramref name="typeSuffix"/>, or null.</summary>
    public string? MessageOf(string typeSuffix)
    {
        foreach ((string type, string message) in Exceptions)
        {
            if (type.EndsWith(typeSuffix, StringComparison.Ordinal))
            {
                return message;
            }
        }

        return null;
    }
}
