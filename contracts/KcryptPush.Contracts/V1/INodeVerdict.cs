namespace KcryptPush.Contracts.V1;

/// <summary>
/// A change of a node's state, published on the verdict exchange only when the state changes, so
/// alert consumers stay quiet while nothing changes. Every verdict event implements this
/// interface; MassTransit binds the concrete events' exchanges to this one, so a consumer that
/// binds one queue here receives <see cref="NodeTrusted"/>, <see cref="NodeQuarantined"/>,
/// <see cref="NodeSilent"/> and <see cref="NodeTerminated"/>.
/// </summary>
public interface INodeVerdict
{
    /// <summary>The node (lowercase hex SHA-256 of its EK's DER SubjectPublicKeyInfo).</summary>
    string TpmHash { get; }

    /// <summary>The node's host name as last reported (informational).</summary>
    string Hostname { get; }

    /// <summary>The new state: one of <see cref="NodeStates"/>.</summary>
    string State { get; }

    /// <summary>The state before this change.</summary>
    string PreviousState { get; }

    /// <summary>When the verifier decided (UTC).</summary>
    DateTimeOffset At { get; }
}
