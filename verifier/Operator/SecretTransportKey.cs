using System.Security.Cryptography;

namespace KcryptPush.Verifier.Operator;

/// <summary>
/// The verifier's ECDH P-256 key that operators encrypt passphrases to (<see cref="SecretTransport"/>).
/// Generated on first start and kept as PKCS#8 PEM beside the database (<c>verifier.secret-key</c>
/// next to <c>verifier.db</c>) with mode 0600; an existing file is loaded (and its mode tightened).
/// The file is written to a temporary name and moved into place, so two processes starting at once
/// agree on one key and nobody reads half a file.
/// </summary>
public sealed class SecretTransportKey : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private SecretTransportKey(ECDiffieHellman key, string path)
    {
        Key = key;
        Path = path;
        PublicKey = key.ExportSubjectPublicKeyInfo();
    }

    /// <summary>The private key.</summary>
    public ECDiffieHellman Key { get; }

    /// <summary>The file it lives in.</summary>
    public string Path { get; }

    /// <summary>DER SubjectPublicKeyInfo of the public key (the <see cref="KcryptPush.Contracts.V1.SecretKey"/> answer).</summary>
    public byte[] PublicKey { get; }

    /// <summary>The fingerprint operators pin (<see cref="KeyFingerprint"/>).</summary>
    public string Fingerprint => KeyFingerprint.Of(PublicKey);

    /// <summary>The key file that belongs to a database: <c>DIR/NAME.secret-key</c> for <c>DIR/NAME.db</c>.</summary>
    public static string PathBeside(string dbPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dbPath);
        string full = System.IO.Path.GetFullPath(dbPath);
        return System.IO.Path.Combine(System.IO.Path.GetDirectoryName(full) ?? "/", System.IO.Path.GetFileNameWithoutExtension(full) + ".secret-key");
    }

    /// <summary>Loads the key at <paramref name="path"/>, creating it first if absent.</summary>
    /// <exception cref="IOException">The file cannot be read or written, or does not hold a P-256 private key.</exception>
    public static SecretTransportKey LoadOrCreate(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            Create(path);
        }

        return Load(path);
    }

    /// <summary>Loads the key at <paramref name="path"/>; never creates one (the offline <c>secret-key</c> command must not invent a key the service does not have).</summary>
    /// <exception cref="IOException">The file is missing, cannot be read, or does not hold a P-256 private key.</exception>
    public static SecretTransportKey Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no secret transport key (the verifier creates it on its first start)", path);
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & ~OwnerOnly) != 0)
        {
            File.SetUnixFileMode(path, OwnerOnly);
        }

        var key = ECDiffieHellman.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(path));
            if (key.ExportParameters(false).Curve.Oid?.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
            {
                throw new IOException($"{path}: the secret transport key is not on NIST P-256");
            }

            return new SecretTransportKey(key, path);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            key.Dispose();
            throw new IOException($"{path}: not a PEM ECDH P-256 private key ({e.Message})", e);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private static void Create(string path)
    {
        string dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)) ?? "/";
        Directory.CreateDirectory(dir);
        string temp = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        using (var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256))
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = OwnerOnly;
            }

            using (var writer = new StreamWriter(path: temp, options))
            {
                writer.Write(key.ExportPkcs8PrivateKeyPem());
            }
        }

        try
        {
            File.Move(temp, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created it first: use theirs.
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => Key.Dispose();
}
