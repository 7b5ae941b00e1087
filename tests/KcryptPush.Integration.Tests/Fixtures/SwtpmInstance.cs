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

    /// <summary>
    /// Reboots the same TPM as an OS does: TPM2_Shutdown(CLEAR), then a power cycle (PCRs reset,
    /// resetCount + 1, NV and persistent handles stay).
    /// </summary>
    /// <remarks>
    /// Without the orderly shutdown swtpm comes back with the Clock it last saved, which can be
    /// lower than what it already quoted while still marked safe: a verifier rightly refuses that as
    /// a rolled-back TPM (clock-went-backwards), which made reboot tests fail now and then. The
    /// roll-back attack test stops the TPM without it on purpose (AttackTests).
    /// </remarks>
    public void Restart()
    {
        ProcessResult shutdown = ProcessRunner.Run("tpm2_shutdown", ["-c"], environment: new Dictionary<string, string> { ["TPM2TOOLS_TCTI"] = Tcti },
            timeout: TimeSpan.FromSeconds(30));
        if (shutdown.ExitCode != 0)
        {
            throw new InvalidOperationException($"TPM2_Shutdown(CLEAR) before the restart of {TpmUri} failed (exit {shutdown.ExitCode}): {shutdown.StdErr}");
        }

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
