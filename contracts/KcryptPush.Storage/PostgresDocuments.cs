using System.Text.Json;
using Npgsql;

namespace KcryptPush.Storage;

/// <summary>
/// How the registrar's and the verifier's PostgreSQL stores keep records: each as a JSON document
/// (<c>doc</c>, System.Text.Json's general defaults) of the same class the LiteDB store keeps, times as
/// UTC ticks (<c>bigint</c>), and the queries that read documents back.
/// </summary>
public static class PostgresDocuments
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General);

    /// <summary>A time as the tables keep it: UTC ticks.</summary>
    public static long Ticks(DateTime at) => at.ToUniversalTime().Ticks;

    /// <summary>The document of <paramref name="record"/>.</summary>
    public static string Write<T>(T record) => JsonSerializer.Serialize(record, Json);

    /// <summary>The record of a document.</summary>
    /// <exception cref="InvalidDataException">The document is JSON null.</exception>
    public static T Read<T>(string json) => JsonSerializer.Deserialize<T>(json, Json)
        ?? throw new InvalidDataException($"a {typeof(T).Name} document is JSON null");

    /// <summary>The document the first column of <paramref name="sql"/> returns ($1, $2... are <paramref name="args"/>), or null for no row.</summary>
    public static T? One<T>(NpgsqlConnection conn, NpgsqlTransaction? tx, string sql, params object[] args)
        where T : class
    {
        using var cmd = new NpgsqlCommand(sql, conn, tx);
        foreach (object a in args)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        }

        return cmd.ExecuteScalar() is string json ? Read<T>(json) : null;
    }

    /// <summary>Every row of <paramref name="sql"/> ($1, $2... are <paramref name="args"/>), each through <paramref name="map"/>.</summary>
    public static List<T> Many<T>(NpgsqlConnection conn, string sql, Func<NpgsqlDataReader, T> map, params object[] args)
    {
        ArgumentNullException.ThrowIfNull(map);
        using var cmd = new NpgsqlCommand(sql, conn);
        foreach (object a in args)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        }

        var list = new List<T>();
        using NpgsqlDataReader r = cmd.ExecuteReader();
        while (r.Read())
        {
            list.Add(map(r));
        }

        return list;
    }
}
