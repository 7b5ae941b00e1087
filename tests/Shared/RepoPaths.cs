using System.Reflection;

namespace KcryptPush.Tests;

/// <summary>Where the repository and its test data (testdata/, see testdata/SOURCES.md) are, fixed at build time.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = typeof(RepoPaths).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepoRoot").Value!;

    /// <summary>The repository's testdata/ folder: real event logs and quotes with their sidecars.</summary>
    public static string TestData { get; } = Path.Combine(Root, "testdata");

    public static string EventLogs { get; } = Path.Combine(TestData, "eventlogs");

    public static string Quotes { get; } = Path.Combine(TestData, "quotes");
}
