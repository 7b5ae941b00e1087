namespace KcryptPush.Registrar.Store;

/// <summary>
/// The LiteDB store failed a write (a full disk) and stays failed in this process: LiteDB 5 keeps an
/// engine closed once its writer met an I/O error. The service stops and exits 1 so that systemd's
/// Restart=on-failure starts it again, which reopens the file (and replays its -log).
/// </summary>
public sealed class RegistrarStoreFailedException(string path, Exception cause)
    : IOException($"{path}: the store failed a write ({cause.Message}); the registrar must be restarted to use it again", cause);
