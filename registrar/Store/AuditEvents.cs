namespace KcryptPush.Registrar.Store;

/// <summary>The <see cref="AuditEntry.Event"/> values.</summary>
public static class AuditEvents
{
    /// <summary>A RegisterNode passed the EK and AK checks and a challenge was issued.</summary>
    public const string ChallengeIssued = "challenge-issued";

    /// <summary>A known node registered again with a different AK (activation runs again).</summary>
    public const string AkChangeRequested = "ak-change-requested";

    /// <summary>A valid proof enrolled the node.</summary>
    public const string Enrolled = "enrolled";

    /// <summary>A valid proof replaced the enrolled AK.</summary>
    public const string AkChanged = "ak-changed";

    /// <summary>A request was refused (see <see cref="AuditEntry.ReasonCode"/>).</summary>
    public const string Rejected = "rejected";
}
