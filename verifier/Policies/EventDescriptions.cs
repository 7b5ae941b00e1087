using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.EventLog.Decoding;
using KcryptPush.Contracts.V1;

namespace KcryptPush.Verifier.Policies;

/// <summary>Turns a log event into the contracts' <see cref="BrokenEvent"/> (decoded summary + what is wrong).</summary>
public static class EventDescriptions
{
    /// <summary>The broken-event form of <paramref name="e"/>.</summary>
    public static BrokenEvent Broken(UntrustedEvent e, string problem)
    {
        ArgumentNullException.ThrowIfNull(e);
        string summary = EventDecoder.Decode(e).Summary;
        if (summary.Length > 200)
        {
            summary = summary[..197] + "...";
        }

        return new BrokenEvent(e.Index, e.PcrIndex, e.TypeName, $"{summary}: {problem}");
    }
}
