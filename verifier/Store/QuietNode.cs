namespace KcryptPush.Verifier.Store;

/// <summary>
/// An enrolled node that may be silent (<see cref="IVerifierStore.QuietNodes"/>): when it was last
/// heard, its last evidence or, when it never sent any, its enrolment (UTC).
/// </summary>
public sealed record QuietNode(string TpmHash, DateTime LastHeard);
