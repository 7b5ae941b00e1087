using System.Runtime.InteropServices;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.Hashing;

/// <summary>
/// The few OpenSSL 3 EVP digest functions replay needs, bound at run time from the libcrypto that
/// .NET itself uses on Linux. Why not <c>SHA256.HashData</c>: each .NET hash call sets up the
/// digest again (about 0.40 µs for a 64-byte SHA-256 input here, whichever .NET API), while an
/// <c>EVP_MD</c> fetched once and an <c>EVP_MD_CTX</c> reused cost 0.13 µs; a replay is hundreds of
/// such tiny hashes. The hashing itself is OpenSSL's, not ours. When libcrypto.so.3 or one of these
/// symbols is missing (another OS, OpenSSL 1.1), <see cref="IsAvailable"/> is false and callers use
/// .NET's hashes. OpenSSL is also the only implementation of SM3 (TPM_ALG_SM3_256) we have: .NET has
/// none, so without libcrypto 3 an sm3_256 bank cannot be replayed (and is reported as such).
/// </summary>
internal static unsafe class OpenSslEvp
{
    private const string LibraryName = "libcrypto.so.3";

    private static readonly delegate* unmanaged<IntPtr, byte*, byte*, IntPtr> MdFetch;
    private static readonly delegate* unmanaged<IntPtr, int> MdGetSize;
    private static readonly delegate* unmanaged<IntPtr> MdCtxNew;
    private static readonly delegate* unmanaged<IntPtr, void> MdCtxFree;
    private static readonly delegate* unmanaged<IntPtr, IntPtr, IntPtr, int> DigestInitEx2;
    private static readonly delegate* unmanaged<IntPtr, byte*, nuint, int> DigestUpdate;
    private static readonly delegate* unmanaged<IntPtr, byte*, uint*, int> DigestFinalEx;

    // The TCG algorithms fetched from OpenSSL, by slot, with their OpenSSL names. SM3 has no .NET
    // implementation at all, so OpenSSL is the only way to replay an sm3_256 bank (TPM_ALG_SM3_256,
    // GB/T 32905, in OpenSSL's default provider since 1.1.1); SHA3 is here too so that every bank
    // replays through the same reused-context path.
    private static readonly (TpmAlgId Algorithm, byte[] Name)[] Algorithms =
    [
        (TpmAlgId.Sha1, "SHA1"u8.ToArray()),
        (TpmAlgId.Sha256, "SHA256"u8.ToArray()),
        (TpmAlgId.Sha384, "SHA384"u8.ToArray()),
        (TpmAlgId.Sha512, "SHA512"u8.ToArray()),
        (TpmAlgId.Sm3_256, "SM3"u8.ToArray()),
        (TpmAlgId.Sha3_256, "SHA3-256"u8.ToArray()),
        (TpmAlgId.Sha3_384, "SHA3-384"u8.ToArray()),
        (TpmAlgId.Sha3_512, "SHA3-512"u8.ToArray()),
    ];

    // Fetched once per process and never freed: an EVP_MD is immutable and safe to share between
    // threads (OpenSSL 3 "Algorithm fetching"), and there are at most eight of them. A zero slot is
    // an algorithm this libcrypto does not offer (e.g. SM3 removed by a distribution's build).
    private static readonly IntPtr[] Mds = new IntPtr[Algorithms.Length];

    static OpenSslEvp()
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad(LibraryName, out IntPtr lib))
        {
            return;
        }

        if (!NativeLibrary.TryGetExport(lib, "EVP_MD_fetch", out IntPtr fetch)
            || !NativeLibrary.TryGetExport(lib, "EVP_MD_get_size", out IntPtr getSize)
            || !NativeLibrary.TryGetExport(lib, "EVP_MD_CTX_new", out IntPtr ctxNew)
            || !NativeLibrary.TryGetExport(lib, "EVP_MD_CTX_free", out IntPtr ctxFree)
            || !NativeLibrary.TryGetExport(lib, "EVP_DigestInit_ex2", out IntPtr init)
            || !NativeLibrary.TryGetExport(lib, "EVP_DigestUpdate", out IntPtr update)
            || !NativeLibrary.TryGetExport(lib, "EVP_DigestFinal_ex", out IntPtr final))
        {
            return;
        }

        MdFetch = (delegate* unmanaged<IntPtr, byte*, byte*, IntPtr>)fetch;
        MdGetSize = (delegate* unmanaged<IntPtr, int>)getSize;
        MdCtxNew = (delegate* unmanaged<IntPtr>)ctxNew;
        MdCtxFree = (delegate* unmanaged<IntPtr, void>)ctxFree;
        DigestInitEx2 = (delegate* unmanaged<IntPtr, IntPtr, IntPtr, int>)init;
        DigestUpdate = (delegate* unmanaged<IntPtr, byte*, nuint, int>)update;
        DigestFinalEx = (delegate* unmanaged<IntPtr, byte*, uint*, int>)final;

        for (int slot = 0; slot < Algorithms.Length; slot++)
        {
            Fetch(slot, Algorithms[slot].Name, TpmAlgorithms.GetDigestSize(Algorithms[slot].Algorithm));
        }
        IsAvailable = true;
    }

    /// <summary>Whether libcrypto 3's EVP digest functions were found.</summary>
    public static bool IsAvailable { get; }

    /// <summary>The fetched EVP_MD for a TCG algorithm and its digest size, when OpenSSL has it with
    /// the size TPM 2.0 gives that algorithm.</summary>
    public static bool TryGetDigest(ushort algorithmId, out IntPtr md, out int digestSize)
    {
        int slot = Array.FindIndex(Algorithms, a => (ushort)a.Algorithm == algorithmId);
        md = slot >= 0 && IsAvailable ? Mds[slot] : IntPtr.Zero;
        digestSize = md != IntPtr.Zero ? TpmAlgorithms.GetDigestSize((TpmAlgId)algorithmId) : 0;
        return md != IntPtr.Zero;
    }

    /// <summary>Whether OpenSSL hashes <paramref name="algorithmId"/> here.</summary>
    public static bool Has(ushort algorithmId) => TryGetDigest(algorithmId, out _, out _);

    /// <summary>One-shot hash of <paramref name="data"/> through a context made for this call (for
    /// the occasional event-data hash; replay reuses one context per bank instead).</summary>
    /// <returns>The digest length, or 0 when OpenSSL does not have the algorithm here.</returns>
    public static int TryHash(ushort algorithmId, ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (!TryGetDigest(algorithmId, out IntPtr md, out int size))
        {
            return 0;
        }
        IntPtr ctx = NewContext();
        try
        {
            Hash(ctx, md, size, data, destination.Slice(0, size));
        }
        finally
        {
            FreeContext(ctx);
        }
        return size;
    }

    /// <summary>A new EVP_MD_CTX; never zero (allocation failure throws).</summary>
    public static IntPtr NewContext()
    {
        IntPtr ctx = MdCtxNew();
        return ctx != IntPtr.Zero ? ctx : throw new OutOfMemoryException("EVP_MD_CTX_new returned NULL");
    }

    /// <summary>Frees a context from <see cref="NewContext"/>.</summary>
    public static void FreeContext(IntPtr ctx) => MdCtxFree(ctx);

    /// <summary>Hashes <paramref name="data"/> with <paramref name="md"/> (from
    /// <see cref="TryGetDigest"/>, whose digest size is <paramref name="digestSize"/>) in
    /// <paramref name="ctx"/> into <paramref name="destination"/>. The context is re-initialised, so
    /// one context serves any number of calls on one thread.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is not exactly the digest
    /// size (checked before OpenSSL writes to it).</exception>
    /// <exception cref="System.Security.Cryptography.CryptographicException">OpenSSL reported a failure
    /// or a digest of another size.</exception>
    public static void Hash(IntPtr ctx, IntPtr md, int digestSize, ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (destination.Length != digestSize)
        {
            throw new ArgumentException($"destination is {destination.Length} bytes, the digest {digestSize}", nameof(destination));
        }

        uint written = 0;
        fixed (byte* input = data)
        fixed (byte* output = destination)
        {
            if (DigestInitEx2(ctx, md, IntPtr.Zero) != 1
                || DigestUpdate(ctx, input, (nuint)data.Length) != 1
                || DigestFinalEx(ctx, output, &written) != 1)
            {
                throw new System.Security.Cryptography.CryptographicException("OpenSSL EVP digest failed");
            }
        }

        if (written != (uint)destination.Length)
        {
            throw new System.Security.Cryptography.CryptographicException(
                $"OpenSSL EVP digest wrote {written} bytes where {destination.Length} were expected");
        }
    }

    private static void Fetch(int slot, ReadOnlySpan<byte> name, int expectedSize)
    {
        // EVP_MD_fetch wants a NUL-terminated name; the u8 literals carry no terminator.
        Span<byte> cName = stackalloc byte[name.Length + 1];
        name.CopyTo(cName);
        cName[^1] = 0;
        IntPtr md;
        fixed (byte* p = cName)
        {
            md = MdFetch(IntPtr.Zero, p, null);
        }

        // A provider that answers with another size (none should) is not used: the replay would
        // write past or short of a PCR.
        if (md != IntPtr.Zero && MdGetSize(md) == expectedSize)
        {
            Mds[slot] = md;
        }
    }
}
