namespace KcryptPush.Verifier.Store;

/// <summary>
/// The LiteDB file is held by another process (a running verifier): LiteDB direct mode gives the file
/// to one process, so offline <c>--db</c> commands work only while the service is stopped.
/// </summary>
public sealed class VerifierStoreInUseException(string path, Exception? inner)
    : IOException(
        $"{path} is in use by a running verifier (its lock {LiteDbVerifierStore.LockPathOf(path)} is held): "
        + "while the service runs, use the commands over the broker (kcrypt-push-verifier nodes list|show ... --broker URI); "
        + "--db works only with the service stopped",
        inner);
