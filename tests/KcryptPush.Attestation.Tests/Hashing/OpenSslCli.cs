using System.Diagnostics;

namespace KcryptPush.Attestation.Tests.Hashing;

/// <summary>The <c>openssl</c> command line as an independent hash implementation: a separate
/// process, its own digest plumbing, nothing of ours in between.</summary>
internal static class OpenSslCli
{
    /// <summary><c>openssl dgst -NAME -binary</c> of <paramref name="input"/> (NAME e.g. "sm3", "sha3-256").</summary>
    public static byte[] Digest(string name, ReadOnlySpan<byte> input)
    {
        var start = new ProcessStartInfo("openssl")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("dgst");
        start.ArgumentList.Add("-" + name);
        start.ArgumentList.Add("-binary");
        using Process process = Process.Start(start) ?? throw new InvalidOperationException("openssl did not start");
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var stdout = new MemoryStream();
        Task copy = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        process.StandardInput.BaseStream.Write(input);
        process.StandardInput.Close();
        copy.Wait();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"openssl dgst -{name} exited {process.ExitCode}: {stderr.Result}");
        }
        return stdout.ToArray();
    }
}
