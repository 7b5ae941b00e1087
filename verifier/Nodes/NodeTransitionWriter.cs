using KcryptPush.Verifier.Store;
using KcryptPush.Verifier.Verdicts;

namespace KcryptPush.Verifier.Nodes;

/// <summary>
/// Writes a <see cref="NodeTransition"/> into the node's unit: the record with its new state, the
/// verdict event staged in it (<see cref="VerdictOutbox"/>: the same write as the state change) and the
/// audit entries. The caller commits the unit, then publishes.
/// </summary>
public static class NodeTransitionWriter
{
    /// <summary>Applies <paramref name="transition"/> to <paramref name="record"/> and saves it in <paramref name="unit"/>.</summary>
    public static void Write(IVerifierUnit unit, NodeAttestation record, NodeTransition transition, DateTime nowUtc)
    {
        ArgumentNullException.ThrowIfNull(unit);
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(transition);
        if (transition.Refused || transition.WritesNothing)
        {
            return;
        }

        transition.ApplyTo(record, nowUtc);
        foreach (NodeAudit a in transition.Audit)
        {
            unit.AddAudit(a.Actor, a.What, a.OldValue, a.NewValue, nowUtc);
        }

        if (transition.Verdict is { } verdict)
        {
            VerdictOutbox.Stage(record, verdict, nowUtc);
        }

        unit.Save(record);
    }
}
