using LiteDB;

namespace KcryptPush.Verifier.Enrolment;

/// <summary>One change the enrolment feed made to a node (LiteDB collection <c>enrolment_audit</c>).</summary>
public sealed class VerifierEnrolmentEvent
{
    /// <summary>Auto-incremented id.</summary>
    [BsonId(true)]
    public long Id { get; set; }

    /// <summary>When the verifier applied it.</summary>
    public DateTime At { get; set; }

    /// <summary>The node.</summary>
    public string TpmHash { get; set; } = string.Empty;

    /// <summary><c>added</c> or <c>ak-changed</c>.</summary>
    public string Event { get; set; } = string.Empty;

    /// <summary>Previous AK Name (hex), for <c>ak-changed</c>.</summary>
    public string? OldAkName { get; set; }

    /// <summary>New AK Name (hex).</summary>
    public string NewAkName { get; set; } = string.Empty;
}
