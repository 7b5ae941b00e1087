using KcryptPush.Attestation.EventLog;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.Hashing;

/// <summary>
/// The PCR extend of one bank, new = H(old ‖ digest) (TPM 2.0 Part 1 §17.2), for replaying many
/// events in a row. Not thread-safe: one instance per bank per replay.
/// </summary>
public abstract class PcrExtender : IDisposable
{
    /// <summary>Digest size of the bank, bytes.</summary>
    public abstract int DigestSize { get; }

    /// <summary>"openssl-evp" or "dotnet": which code hashes (shown by benchmarks and tests).</summary>
    public abstract string Implementation { get; }

    /// <summary>The fastest extender this platform has for <paramref name="algorithmId"/>: OpenSSL's
    /// EVP with a reused context where available (SHA-1/256/384/512, SM3-256 and SHA3 on Linux with
    /// libcrypto 3), else .NET's hash (which has no SM3).</summary>
    /// <exception cref="NotSupportedException">The algorithm cannot be computed here (see
    /// <see cref="TcgAlgorithms.IsComputable"/>).</exception>
    public static PcrExtender Create(ushort algorithmId) =>
        OpenSslEvp.TryGetDigest(algorithmId, out IntPtr md, out int size)
            ? new OpenSslPcrExtender(md, size)
            : CreateManaged(algorithmId);

    /// <summary>The .NET-only extender, always available for a computable algorithm; tests compare
    /// it with <see cref="Create"/>.</summary>
    public static PcrExtender CreateManaged(ushort algorithmId) => new ManagedPcrExtender(algorithmId);

    /// <summary>Replaces <paramref name="pcr"/> (exactly <see cref="DigestSize"/> bytes) with
    /// H(<paramref name="pcr"/> ‖ <paramref name="digest"/>).</summary>
    /// <exception cref="ArgumentException">A PCR or digest of another size than the bank's.</exception>
    public void Extend(Span<byte> pcr, ReadOnlySpan<byte> digest)
    {
        int size = DigestSize;
        if (pcr.Length != size || digest.Length != size)
        {
            throw new ArgumentException($"extend of a {size}-byte bank got a {pcr.Length}-byte PCR and a {digest.Length}-byte digest");
        }

        Span<byte> input = stackalloc byte[2 * TpmAlgorithms.MaxDigestSize];
        pcr.CopyTo(input);
        digest.CopyTo(input.Slice(size));
        Hash(input.Slice(0, 2 * size), pcr);
    }

    /// <summary>Hashes <paramref name="data"/> into <paramref name="destination"/> (digest size).</summary>
    protected abstract void Hash(ReadOnlySpan<byte> data, Span<byte> destination);

    /// <inheritdoc/>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the hash state.</summary>
    protected abstract void Dispose(bool disposing);
}
