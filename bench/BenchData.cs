namespace KcryptPush.Bench;

/// <summary>
/// Locates the repository and its test data (testdata/). BenchmarkDotNet runs benchmarks from a
/// generated folder below bench/bin, so walk up to the directory holding KcryptPush.sln.
/// </summary>
internal static class BenchData
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string TestData(params string[] parts) =>
        Path.Combine([RepoRoot, "testdata", .. parts]);

    public static string Repo(params string[] parts) => Path.Combine([RepoRoot, .. parts]);

    private static string FindRepoRoot()
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "KcryptPush.sln")))
                {
                    return dir.FullName;
                }
            }
        }
        throw new DirectoryNotFoundException("cannot find the directory holding KcryptPush.sln above the benchmark");
    }
}
