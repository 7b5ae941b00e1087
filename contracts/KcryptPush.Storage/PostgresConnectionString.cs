using System.Globalization;
using Npgsql;

namespace KcryptPush.Storage;

/// <summary>
/// PostgreSQL connection strings as <c>Verifier:Store</c> and <c>Registrar:Store</c> take them: Npgsql's keyword form
/// (<c>Host=db;Port=5432;Username=verifier;Password=...;Database=kcrypt</c>) or a libpq URI
/// (<c>postgresql://verifier:...@db:5432/kcrypt?sslmode=require</c>), which Npgsql does not parse itself.
/// </summary>
public static class PostgresConnectionString
{
    /// <summary>Whether <paramref name="value"/> names a PostgreSQL database rather than a LiteDB file.</summary>
    public static bool IsPostgres(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
            || value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
            || value.Contains("Host=", StringComparison.OrdinalIgnoreCase)
            || value.Contains("Server=", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The keyword form of either notation.</summary>
    /// <exception cref="ArgumentException">A URI that does not parse, or a keyword Npgsql does not know.</exception>
    public static string ToKeywords(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        if (!value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) && !value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase))
        {
            return new NpgsqlConnectionStringBuilder(value).ConnectionString;
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out Uri? uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new ArgumentException("not a postgresql://[user[:password]@]host[:port]/database URI", nameof(value));
        }

        var b = new NpgsqlConnectionStringBuilder { Host = uri.Host.Trim('[', ']') };
        if (uri.Port > 0)
        {
            b.Port = uri.Port;
        }

        if (uri.UserInfo.Length > 0)
        {
            string[] parts = uri.UserInfo.Split(':', 2);
            b.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                b.Password = Uri.UnescapeDataString(parts[1]);
            }
        }

        string database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0)
        {
            b.Database = database;
        }

        foreach (string pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] kv = pair.Split('=', 2);
            string key = Uri.UnescapeDataString(kv[0]);
            string v = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
            switch (key.ToLowerInvariant())
            {
                case "sslmode":
                    b.SslMode = Enum.Parse<SslMode>(v.Replace("-", "", StringComparison.Ordinal), ignoreCase: true);
                    break;
                case "application_name":
                    b.ApplicationName = v;
                    break;
                case "connect_timeout":
                    b.Timeout = int.Parse(v, CultureInfo.InvariantCulture);
                    break;
                default:
                    b[key] = v; // Npgsql's own keywords; an unknown one throws ArgumentException
                    break;
            }
        }

        return b.ConnectionString;
    }
}
