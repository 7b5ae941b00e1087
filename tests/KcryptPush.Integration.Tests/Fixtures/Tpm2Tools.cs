namespace KcryptPush.Integration.Tests.Fixtures;

/// <summary>
/// tpm2-tools 5.4 (an independent TPM 2.0 implementation) pointed at one swtpm, working in a
/// private directory. Each call flushes transient objects and sessions afterwards, because swtpm
/// has no resource manager.
/// </summary>
public sealed class Tpm2Tools : IDisposable
{
    private readonly Dictionary<string, string> _environment;

    public Tpm2Tools(SwtpmInstance tpm)
    {
        _environment = new Dictionary<string, string> { ["TPM2TOOLS_TCTI"] = tpm.Tcti };
        WorkDirectory = Directory.CreateTempSubdirectory("kcrypt-push-tpm2tools-").FullName;
    }

    /// <summary>Where the tools read and write their files.</summary>
    public string WorkDirectory { get; }

    public string PathOf(string file) => Path.Combine(WorkDirectory, file);

    /// <summary>Runs <c>tpm2_TOOL args</c>, throws when it fails, then flushes what it left loaded.</summary>
    public ProcessResult Run(string tool, params string[] arguments)
    {
        try
        {
            return ProcessRunner.RunChecked($"tpm2_{tool}", arguments, WorkDirectory, _environment);
        }
        finally
        {
            FlushAll();
        }
    }

    /// <summary>Runs a tool and returns its result whatever the exit code (for negative checks).</summary>
    public ProcessResult TryRun(string tool, params string[] arguments)
    {
        try
        {
            return ProcessRunner.Run($"tpm2_{tool}", arguments, WorkDirectory, _environment);
        }
        finally
        {
            FlushAll();
        }
    }

    public void FlushAll()
    {
        foreach (string kind in new[] { "-t", "-l", "-s" })
        {
            ProcessRunner.Run("tpm2_flushcontext", [kind], WorkDirectory, _environment);
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(WorkDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
