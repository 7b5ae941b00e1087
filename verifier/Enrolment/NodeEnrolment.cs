using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Verifier.Enrolment;

/// <summary>What a NodeEnrolled from the registrar does to the verifier's node, inside the node's unit.</summary>
public static class NodeEnrolment
{
    /// <summary>
    /// Creates the node, or replaces its AK when the registrar proved a new one. Idempotent: a
    /// redelivered or older event (EnrolledAt not after the stored one, same or superseded AK) changes
    /// nothing. Returns true when the unit has something to commit.
    /// </summary>
    public static bool Apply(IVerifierUnit unit, NodeEnrolled enrolled, DateTime nowUtc)
    {
        ArgumentNullException.ThrowIfNull(unit);
        ArgumentNullException.ThrowIfNull(enrolled);
        DateTime enrolledAt = enrolled.EnrolledAt.UtcDateTime;
        VerifierNode? node = unit.Node;
        if (node is null)
        {
            unit.SaveNode(new VerifierNode
            {
                TpmHash = enrolled.TpmHash,
                EkPublic = enrolled.EkPublic,
                AkPublic = enrolled.AkPublic,
                AkName = enrolled.AkName,
                Hostname = enrolled.Hostname,
                EnrolledAt = enrolledAt,
                CreatedAt = nowUtc,
                UpdatedAt = nowUtc,
            });
            unit.AddEnrolmentEvent(new VerifierEnrolmentEvent
            {
                At = nowUtc, TpmHash = enrolled.TpmHash, Event = "added", NewAkName = Convert.ToHexStringLower(enrolled.AkName),
            });
            return true;
        }

        bool sameAk = node.AkName.AsSpan().SequenceEqual(enrolled.AkName);
        if (enrolledAt <= node.EnrolledAt.ToUniversalTime() && !sameAk)
        {
            return false; // an older enrolment arriving late: the newer AK stays
        }

        if (sameAk && node.Hostname == enrolled.Hostname)
        {
            return false;
        }

        if (!sameAk)
        {
            unit.AddEnrolmentEvent(new VerifierEnrolmentEvent
            {
                At = nowUtc,
                TpmHash = enrolled.TpmHash,
                Event = "ak-changed",
                OldAkName = Convert.ToHexStringLower(node.AkName),
                NewAkName = Convert.ToHexStringLower(enrolled.AkName),
            });
        }

        node.EkPublic = enrolled.EkPublic;
        node.AkPublic = enrolled.AkPublic;
        node.AkName = enrolled.AkName;
        node.Hostname = enrolled.Hostname;
        node.EnrolledAt = enrolledAt > node.EnrolledAt.ToUniversalTime() ? enrolledAt : node.EnrolledAt;
        node.UpdatedAt = nowUtc;
        unit.SaveNode(node);
        return true;
    }
}
