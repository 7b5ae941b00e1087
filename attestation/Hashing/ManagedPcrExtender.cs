using System.Security.Cryptography;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.Hashing;

/// <summary>PCR extend through .NET's hash classes: any algorithm this platform computes.</summary>
internal sealed class ManagedPcrExtender(ushort algorithmId) : PcrExtender
{
    private readonly HashAlgorithm _hash = TcgAlgorithms.CreateHashAlgorithm(algorithmId);
    private readonly int _size = TpmAlgorithms.GetDigestSize((TpmAlgId)algorithmId);

    public override int DigestSize => _size;

    public override string Implementation => "dotnet";

    protected override void Hash(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (!_hash.TryComputeHash(data, destination, out int written) || written != _size)
        {
            throw new CryptographicException($"hash wrote {written} bytes where {_size} were expected");
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
        }
    }
}
