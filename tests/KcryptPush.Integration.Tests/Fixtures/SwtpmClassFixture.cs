namespace KcryptPush.Integration.Tests.Fixtures;

/// <summary>One private swtpm (and a tpm2-tools runner for it) shared by the tests of one class.</summary>
public sealed class SwtpmClassFixture : IDisposable
{
    private const int StartAttempts = 5;

    public SwtpmClassFixture()
    {
        Tpm = StartWithRetry();
        Tools = new Tpm2Tools(Tpm);
    }

    public SwtpmInstance Tpm { get; }

    public Tpm2Tools Tools { get; }

    public void Dispose()
    {
        Tools.Dispose();
        Tpm.Dispose();
    }

    /// <summary>
    /// scripts/swtpm.sh picks a random port in 30000-49999, which overlaps Linux's ephemeral range:
    /// with many test connections in TIME_WAIT, swtpm sometimes fails with "Address already in use".
    /// Another random port almost always works.
    /// </summary>
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
