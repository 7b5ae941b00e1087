namespace KcryptPush.Integration.Tests.Fixtures;

/// <summary>
/// The built executables (as <c>dotnet X.dll</c>): the agent from this test project's output
/// (it references the agent), registrar and verifier from their own output folders (built through
/// ProjectReferences that do not copy them here, so their appsettings.json files do not collide).
/// </summary>
public static class KcryptPushBinaries
{
    /// <summary>Debug or Release: the configuration this test assembly was built in.</summary>
    public static string Configuration { get; } = ConfigurationOf(AppContext.BaseDirectory);

    public static string Agent { get; } = Path.Combine(AppContext.BaseDirectory, "kcrypt-push-agent.dll");

    public static string Registrar { get; } = Path.Combine(RepoPaths.Root, "registrar", "bin", Configuration, "net10.0", "kcrypt-push-registrar.dll");

    public static string Verifier { get; } = Path.Combine(RepoPaths.Root, "verifier", "bin", Configuration, "net10.0", "kcrypt-push-verifier.dll");

    private static string ConfigurationOf(string baseDirectory)
    {
        string[] parts = baseDirectory.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        int bin = Array.LastIndexOf(parts, "bin");
        return bin >= 0 && bin + 1 < parts.Length ? parts[bin + 1] : "Debug";
    }
}
