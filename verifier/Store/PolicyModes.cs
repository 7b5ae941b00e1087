namespace KcryptPush.Verifier.Store;

/// <summary>Selective-enrollment modes (DESIGN.md "Policy: selective enrollment").</summary>
public static class PolicyModes
{
    /// <summary>A value is set: it must match exactly.</summary>
    public const string Enforce = "enforce";

    /// <summary>Empty value: accept what comes, store it (then enforce), write an audit entry.</summary>
    public const string Learn = "learn";

    /// <summary>Field omitted: never checked.</summary>
    public const string Skip = "skip";
}
