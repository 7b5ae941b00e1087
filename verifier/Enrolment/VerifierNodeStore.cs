using KcryptPush.Contracts.V1;
using LiteDB;

namespace KcryptPush.Verifier.Enrolment;

/// <summary>
/// The verifier's node records in its LiteDB file (verifier.db), opened in LiteDB shared mode so
/// operator commands can read it while the service runs (as the registrar's store does).
/// </summary>
public sealed class VerifierNodeStore : IDisposable
{
    private readonly LiteDatabase _db;
    private readonly ILiteCollection<VerifierNode> _nodes;
    private readonly ILiteCollection<VerifierEnrolmentEvent> _audit;
    private readonly Lock _gate = new();

    /// <summary>Opens (creating if needed) the file.</summary>
    public VerifierNodeStore(string path, bool readOnly = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!readOnly && Path.GetDirectoryName(Path.GetFullPath(path)) is { Length: > 0 } dir)
        {
            Directory.CreateDirectory(dir);
        }

        _db = new LiteDatabase(new ConnectionString { Filename = path, Connection = ConnectionType.Shared, ReadOnly = readOnly });
        _nodes = _db.GetCollection<VerifierNode>("nodes");
        _audit = _db.GetCollection<VerifierEnrolmentEvent>("enrolment_audit");
    }

    /// <summary>The node with this TPM hash, if any.</summary>
    public VerifierNode? Find(string tpmHash) => _nodes.FindById(tpmHash);

    /// <summary>All nodes, ordered by TPM hash.</summary>
    public IReadOnlyList<VerifierNode> List() => _nodes.Query().OrderBy(n => n.TpmHash).ToList();

    /// <summary>The enrolment changes of one node, oldest first.</summary>
    public IReadOnlyList<VerifierEnrolmentEvent> EventsOf(string tpmHash) =>
        _audit.Find(e => e.TpmHash == tpmHash).OrderBy(e => e.Id).ToList();

    /// <summary>
    /// Applies a NodeEnrolled: creates the node, or replaces its AK when the registrar proved a new
    /// one. Idempotent: a redelivered or older event (EnrolledAt not after the stored one, same or
    /// superseded AK) changes nothing. Returns true when the store changed.
    /// </summary>
    public bool Apply(NodeEnrolled enrolled, DateTime nowUtc)
    {
        ArgumentNullException.ThrowIfNull(enrolled);
        DateTime enrolledAt = enrolled.EnrolledAt.UtcDateTime;
        lock (_gate)
        {
            VerifierNode? node = _nodes.FindById(enrolled.TpmHash);
            if (node is null)
            {
                _nodes.Insert(new VerifierNode
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
                _audit.Insert(new VerifierEnrolmentEvent
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
                _audit.Insert(new VerifierEnrolmentEvent
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
            _nodes.Update(node);
            return true;
        }
    }

    /// <summary>Forgets the node (operator <c>nodes delete</c>); its enrolment events stay. True when it existed.</summary>
    public bool Delete(string tpmHash)
    {
        lock (_gate)
        {
            return _nodes.Delete(tpmHash);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _db.Dispose();
}
