using LiteDB;

namespace KcryptPush.Registrar.Tests.Support;

/// <summary>Counts the documents in a registrar LiteDB file (a copy of it: the running store holds the file).</summary>
internal static class DbRows
{
    /// <summary>Documents per collection.</summary>
    public static IReadOnlyDictionary<string, int> PerCollection(string path)
    {
        using var snapshot = new DbSnapshot(path);
        using var db = new LiteDatabase(new ConnectionString { Filename = snapshot.DataFile, Connection = ConnectionType.Direct, ReadOnly = true });
        return db.GetCollectionNames().ToDictionary(n => n, n => db.GetCollection(n).Count(), StringComparer.Ordinal);
    }

    /// <summary>All documents of the file.</summary>
    public static int Total(string path) => PerCollection(path).Values.Sum();

    /// <summary>Documents of one collection (0 when it does not exist).</summary>
    public static int In(string path, string collection) => PerCollection(path).GetValueOrDefault(collection);
}
