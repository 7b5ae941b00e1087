using KcryptPush.Storage;

namespace KcryptPush.Registrar.Store;

/// <summary>Opens the store <c>Registrar:Store</c> names: <c>litedb:PATH</c> (or a bare path) for the
/// embedded <see cref="LiteDbRegistrarStore"/>, a PostgreSQL connection string or URI for <see cref="PostgresRegistrarStore"/>.</summary>
public static class RegistrarStores
{
    /// <summary>The <c>litedb:</c> prefix.</summary>
    public const string LiteDbPrefix = "litedb:";

    /// <summary>Opens <paramref name="setting"/> (read-only: no file, table or write is created).</summary>
    /// <exception cref="RegistrarStoreInUseException">A LiteDB file another process holds.</exception>
    /// <exception cref="InvalidDataException">A PostgreSQL schema newer than this registrar (or missing, read-only).</exception>
    /// <param name="setting">The store setting.</param>
    /// <param name="readOnly">Opened only to read.</param>
    /// <param name="onFailure">Told when a LiteDB store fails a write for good (<see cref="LiteDbRegistrarStore.Failure"/>).</param>
    public static IRegistrarStore Open(string setting, bool readOnly = false, Action<Exception>? onFailure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(setting);
        return IsPostgres(setting)
            ? new PostgresRegistrarStore(setting, readOnly)
            : new LiteDbRegistrarStore(LiteDbPath(setting)!, readOnly, onFailure);
    }

    /// <summary>Whether <paramref name="setting"/> names a PostgreSQL database rather than a LiteDB file.</summary>
    public static bool IsPostgres(string setting) => PostgresConnectionString.IsPostgres(setting);

    /// <summary>The LiteDB file of <paramref name="setting"/>, or null when it names PostgreSQL.</summary>
    public static string? LiteDbPath(string setting)
    {
        ArgumentNullException.ThrowIfNull(setting);
        return IsPostgres(setting) ? null
            : setting.StartsWith(LiteDbPrefix, StringComparison.OrdinalIgnoreCase) ? setting[LiteDbPrefix.Length..]
            : setting;
    }
}
