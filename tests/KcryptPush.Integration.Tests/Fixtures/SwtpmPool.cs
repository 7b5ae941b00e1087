namespace KcryptPush.Integration.Tests.Fixtures;

/// <summary>Several private swtpm instances, started in parallel (each retried on a lost port race).</summary>
public sealed class SwtpmPool : IDisposable
{
    private const int StartAttempts = 5;

    private SwtpmPool(IReadOnlyList<SwtpmInstance> instances) => Instances = instances;

    public IReadOnlyList<SwtpmInstance> Instances { get; }

    public SwtpmInstance this[int index] => Instances[index];

    public static SwtpmPool Start(int count)
    {
        Task<SwtpmInstance>[] starts = Enumerable.Range(0, count).Select(_ => Task.Run(StartWithRetry)).ToArray();
        try
        {
            Task.WaitAll(starts);
        }
        catch (AggregateException)
        {
            foreach (Task<SwtpmInstance> t in starts.Where(t => t.IsCompletedSuccessfully))
            {
                t.Result.Dispose();
            }

            throw;
        }

        return new SwtpmPool(starts.Select(t => t.Result).ToList());
    }

    /// <summary>Copies the local CA certificates of <paramref name="trusted"/> into one directory (a registrar's --ek-ca-dir).</summary>
    public static string CaDirectory(string parent, params SwtpmInstance[] trusted)
    {
        string dir = Path.Combine(parent, "ek-ca");
        Directory.CreateDirectory(dir);
        for (int i = 0; i < trusted.Length; i++)
        {
            File.Copy(Path.Combine(trusted[i].EkCaDirectory, "root.pem"), Path.Combine(dir, $"tpm{i}-root.pem"), overwrite: true);
            File.Copy(Path.Combine(trusted[i].EkCaDirectory, "intermediate.pem"), Path.Combine(dir, $"tpm{i}-intermediate.pem"), overwrite: true);
        }

        return dir;
    }

    public void Dispose()
    {
        foreach (SwtpmInstance tpm in Instances)
        {
            tpm.Dispose();
        }
    }

    private static SwtpmInstance StartWithRetry()
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return SwtpmInstance.Start();
            }
            catch (InvalidOperationException) when (attempt < StartAttempts)
            {
            }
        }
    }
}
