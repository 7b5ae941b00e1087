using KcryptPush.Tpm.Marshalling;

namespace KcryptPush.Tpm.Structures;

/// <summary>
/// TPML_DIGEST (TPM 2.0 Part 2 §10.9.3): count UINT32 (at most 8), then TPM2B_DIGEST values.
/// PCR_Read returns PCR values this way; PolicyOR takes its branch digests this way.
/// </summary>
public sealed class TpmlDigest
{
    private readonly byte[][] _digests;

    /// <summary>Creates the list (the outer array is copied).</summary>
    /// <exception cref="ArgumentException">More than 8 digests or one longer than 64 bytes.</exception>
    public TpmlDigest(IEnumerable<byte[]> digests)
    {
        ArgumentNullException.ThrowIfNull(digests);
        _digests = digests.ToArray();
        if (_digests.Length > TpmLimits.DigestListCount)
        {
            throw new ArgumentException($"At most {TpmLimits.DigestListCount} digests.", nameof(digests));
        }

        foreach (byte[] d in _digests)
        {
            if (d is null || d.Length > TpmLimits.Digest)
            {
                throw new ArgumentException($"Each digest must be non-null and at most {TpmLimits.Digest} bytes.", nameof(digests));
            }
        }
    }

    /// <summary>digests in order.</summary>
    public IReadOnlyList<byte[]> Digests => _digests;

    /// <summary>Reads a TPML_DIGEST.</summary>
    public static TpmlDigest Read(ref TpmReader reader)
    {
        int at = reader.Position;
        uint count = reader.ReadUInt32("TPML_DIGEST.count");
        if (count > TpmLimits.DigestListCount)
        {
            throw reader.FailAt(at, $"TPML_DIGEST.count <= {TpmLimits.DigestListCount} (got {count})");
        }

        var items = new byte[count][];
        for (int i = 0; i < items.Length; i++)
        {
            items[i] = reader.ReadTpm2b("TPM2B_DIGEST", TpmLimits.Digest).ToArray();
        }

        return new TpmlDigest(items);
    }

    /// <summary>Writes this TPML_DIGEST.</summary>
    public void Write(TpmWriter writer)
    {
        writer.WriteUInt32((uint)_digests.Length);
        foreach (byte[] d in _digests)
        {
            writer.WriteTpm2b(d);
        }
    }
}
