using System.Reflection;

namespace KcryptPush.Tests;

/// <summary>Where the repository and the shared test data are, fixed at build time.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = typeof(RepoPaths).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepoRoot").Value!;

    public static string Shared { get; } = Path.GetFullPath(Path.Combine(Root, "..", "shared"));

    public static string EventLogs { get; } = Path.Combine(Shared, "testdata", "eventlogs");

    public static string Quotes { get; } = Path.Combine(Shared, "testdata", "quotes");
}
