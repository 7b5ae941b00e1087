namespace KcryptPush.Registrar.Store;

/// <summary>
/// The LiteDB file is held by another process (a running registrar): LiteDB direct mode gives the file
/// to one process, so offline <c>--db</c> commands work only while the service is stopped.
/// </summary>
public sealed class RegistrarStoreInUseException(string path, Exception? inner)
    : IOException(
        $"{path} is in use by a running registrar (its lock {LiteDbRegistrarStore.LockPathOf(path)} is held): "
        + "nodes list|show --db work only while the service is stopped (systemctl stop kcrypt-push-registrar); "
        + "with Registrar:Store on PostgreSQL they read the database at any time",
        inner);
