namespace KcryptPush.Integration.Tests.Fixtures;

/// <summary>One private swtpm (and a tpm2-tools runner for it) shared by the tests of one class.</summary>
public sealed class SwtpmClassFixture : IDisposable
{
    public SwtpmClassFixture()
    {
        Tpm = SwtpmInstance.Start();
        Tools = new Tpm2Tools(Tpm);
    }

    public SwtpmInstance Tpm { get; }

    public Tpm2Tools Tools { get; }

    public void Dispose()
    {
        Tools.Dispose();
        Tpm.Dispose();
    }
}
