using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Evidence;
using KcryptPush.Contracts.V1;

namespace KcryptPush.Verifier.Policies;

/// <summary>Turns a log event into the contracts' <see cref="BrokenEvent"/> (decoded summary + what is wrong).</summary>
public static class EventDescriptions
{
    /// <summary>The broken-event form of <paramref name="e"/>.</summary>
    public static BrokenEvent Broken(UntrustedEvent e, string problem) => ToContract(EventProblem.Of(e, problem));

    /// <summary>The contracts' form of an <see cref="EventProblem"/>.</summary>
    public static BrokenEvent ToContract(EventProblem p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return new BrokenEvent(p.Index, p.Pcr, p.EventType, p.Description);
    }
}
