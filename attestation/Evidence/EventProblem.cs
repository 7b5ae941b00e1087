using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.EventLog.Decoding;

namespace KcryptPush.Attestation.Evidence;

/// <summary>
/// An event of an untrusted log named as the cause of a failure: its position, PCR, type and a decoded
/// summary with what is wrong. Only a description: it never makes evidence pass.
/// </summary>
/// <param name="Index">Position of the event in the log.</param>
/// <param name="Pcr">pcrIndex as logged.</param>
/// <param name="EventType">Type name, e.g. "EV_SEPARATOR".</param>
/// <param name="Description">Decoded summary (at most 200 characters), then ": " and the problem.</param>
public sealed record EventProblem(int Index, uint Pcr, string EventType, string Description)
{
    /// <summary>The description of <paramref name="e"/> with <paramref name="problem"/>.</summary>
    public static EventProblem Of(UntrustedEvent e, string problem)
    {
        ArgumentNullException.ThrowIfNull(e);
        string summary = EventDecoder.Decode(e).Summary;
        if (summary.Length > 200)
        {
            summary = summary[..197] + "...";
        }

        return new EventProblem(e.Index, e.PcrIndex, e.TypeName, $"{summary}: {problem}");
    }
}
