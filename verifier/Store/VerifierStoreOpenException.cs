namespace KcryptPush.Verifier.Store;

/// <summary>
/// The service's store could not be opened (a file system that is read-only or full, a file held by
/// another process, an unreachable PostgreSQL, a schema from a newer verifier). Raised only where the
/// service opens its store, so the start reports a store failure as one and every other failure of
/// the start (a key file that cannot be written, a port) as what it is.
/// </summary>
public sealed class VerifierStoreOpenException(string store, Exception inner) : Exception(inner.Message, inner)
{
    /// <summary>What was being opened (<see cref="IVerifierStore.Description"/> form where known).</summary>
    public string Store { get; } = store;

    /// <summary>Whether <paramref name="e"/> is a failure to open a store (and not a bug to let through).</summary>
    public static bool IsOpenFailure(Exception e) =>
        e is IOException or UnauthorizedAccessException or InvalidDataException or LiteDB.LiteException or Npgsql.NpgsqlException;
}
