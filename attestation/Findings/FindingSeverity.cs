namespace KcryptPush.Attestation.Findings;

/// <summary>How much a finding weighs in a verdict.</summary>
public enum FindingSeverity
{
    /// <summary>Informational; never fails a verification.</summary>
    Info,

    /// <summary>Worth an operator's look; does not fail a verification.</summary>
    Warning,

    /// <summary>The evidence is not acceptable: the verification fails.</summary>
    Failure,
}
