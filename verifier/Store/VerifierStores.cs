using KcryptPush.Storage;

namespace KcryptPush.Verifier.Store;

/// <summary>Opens the store <c>Verifier:Store</c> names: <c>litedb:PATH</c> (or a bare path) for the
/// embedded <see cref="LiteDbVerifierStore"/>, a PostgreSQL connection string for <see cref="PostgresVerifierStore"/>.</summary>
public static class VerifierStores
{
    /// <summary>The <c>litedb:</c> prefix.</summary>
    public const string LiteDbPrefix = "litedb:";

    /// <summary>Opens <paramref name="setting"/>.</summary>
    /// <exception cref="VerifierStoreInUseException">A LiteDB file another process holds.</exception>
    public static IVerifierStore Open(string setting, VerifierStoreOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(setting);
        return PostgresConnectionString.IsPostgres(setting)
            ? new PostgresVerifierStore(setting, options)
            : new LiteDbVerifierStore(LiteDbPath(setting)!, options);
    }

    /// <summary>The LiteDB file of <paramref name="setting"/>, or null when it names PostgreSQL.</summary>
    public static string? LiteDbPath(string setting)
    {
        ArgumentNullException.ThrowIfNull(setting);
        return PostgresConnectionString.IsPostgres(setting) ? null
            : setting.StartsWith(LiteDbPrefix, StringComparison.OrdinalIgnoreCase) ? setting[LiteDbPrefix.Length..]
            : setting;
    }
}
