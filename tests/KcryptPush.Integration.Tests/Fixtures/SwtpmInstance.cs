using System.Security.Cryptography.X509Certificates;

namespace KcryptPush.Integration.Tests.Fixtures;

/// <summary>
/// A private swtpm started by scripts/swtpm.sh in its own temporary directory on free loopback
/// ports, provisioned by swtpm_setup with EK certificates from a private local CA; stopped by PID
/// on dispose. swtpm serves one client at a time and has no resource manager: callers flush what
/// they load and never point two clients at it at once.
/// </summary>
public sealed class SwtpmInstance : IDisposable
{
    private static readonly string Script = Path.Combine(RepoPaths.Root, "scripts", "swtpm.sh");

    private SwtpmInstance(string directory, int port)
    {
        Directory = directory;
        Port = port;
    }

    /// <summary>The instance's private directory (state, local CA, logs).</summary>
    public string Directory { get; }

    /// <summary>The TCP port taking raw TPM 2.0 command bytes.</summary>
    public int Port { get; }

    /// <summary>Our option form: <c>swtpm:127.0.0.1:PORT</c>.</summary>
    public string TpmUri => $"swtpm:127.0.0.1:{Port}";

    /// <summary>tpm2-tools' TCTI string for this instance.</summary>
    public string Tcti => $"swtpm:host=127.0.0.1,port={Port}";

    /// <summary>The directory holding the local CA's root and intermediate certificates (PEM).</summary>
    public string EkCaDirectory => Path.Combine(Directory, "ek-ca");

    public X509Certificate2 RootCertificate =>
        X509CertificateLoader.LoadCertificateFromFile(Path.Combine(EkCaDirectory, "root.pem"));

    public X509Certificate2 IntermediateCertificate =>
        X509CertificateLoader.LoadCertificateFromFile(Path.Combine(EkCaDirectory, "intermediate.pem"));

    public static SwtpmInstance Start()
    {
        string dir = System.IO.Directory.CreateTempSubdirectory("kcrypt-push-swtpm-").FullName;
        ProcessResult started = ProcessRunner.RunChecked(Script, ["start", dir]);
        string uri = started.StdOut.Trim();
        int port = int.Parse(uri[(uri.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        return new SwtpmInstance(dir, port);
    }

    /// <summary>Stops and starts the same TPM (a power cycle: PCRs reset, NV and persistent handles stay).</summary>
    public void Restart()
    {
        ProcessRunner.RunChecked(Script, ["stop", Directory]);
        ProcessRunner.RunChecked(Script, ["start", Directory, Port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
    }

    public void Dispose()
    {
        ProcessRunner.Run(Script, ["stop", Directory]);
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A log still being written must not fail a test's teardown.
        }
    }
}
