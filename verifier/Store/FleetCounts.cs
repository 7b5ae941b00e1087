namespace KcryptPush.Verifier.Store;

/// <summary>
/// The fleet in numbers (<see cref="IVerifierStore.CountFleet"/>): enrolled nodes by state (Pending for a
/// node without an attestation record), the verdict events staged in records and not yet confirmed by the
/// broker, and when the oldest of them was staged (UTC; null when none is owed).
/// </summary>
public sealed record FleetCounts(IReadOnlyDictionary<string, long> ByState, long Owed, DateTime? OldestOwed);
