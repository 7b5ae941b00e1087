using System.Security.Cryptography;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Tests.Hashing;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.Tests.EventLog;

/// <summary>
/// A crypto-agile log with any banks in its Spec ID event (sm3_256, sha3_*, unknown ids...), and
/// the PCR values it should replay to, computed here independently of the code under test: SHA-1/2
/// with .NET's one-shot hashes, SM3 and SHA3 with the <c>openssl</c> command line. An unknown bank
/// gets filler digests and no expected values.
/// </summary>
internal sealed class MultiBankLogBuilder
{
    private readonly (ushort Alg, ushort Size)[] _banks;
    private readonly LogBuilder _log = new();
    private readonly Dictionary<ushort, byte[][]> _pcrs = [];
    private readonly Dictionary<ushort, SortedSet<int>> _extended = [];
    private byte _locality;
    private int _events = 1;

    public MultiBankLogBuilder(params (ushort Alg, ushort Size)[] banks)
    {
        _banks = banks;
        var spec = new LogBuilder()
            .Bytes("Spec ID Event03\0"u8)
            .U32(0).U8(0).U8(2).U8(0).U8(2)
            .U32((uint)banks.Length);
        foreach ((ushort alg, ushort size) in banks)
        {
            spec.U16(alg).U16(size);
            if (TpmAlgorithms.GetDigestSize((TpmAlgId)alg) != 0)
            {
                _pcrs[alg] = Enumerable.Range(0, 24).Select(p => new byte[size]).ToArray();
                _extended[alg] = [];
            }
        }
        _log.Sha1Event(0, (uint)TcgEventType.EV_NO_ACTION, new byte[20], spec.U8(0).ToArray());
    }

    /// <summary>H(<paramref name="data"/>) in bank <paramref name="alg"/>, not by the code under test.</summary>
    public static byte[] ReferenceHash(ushort alg, byte[] data) => (TpmAlgId)alg switch
    {
        TpmAlgId.Sha1 => SHA1.HashData(data),
        TpmAlgId.Sha256 => SHA256.HashData(data),
        TpmAlgId.Sha384 => SHA384.HashData(data),
        TpmAlgId.Sha512 => SHA512.HashData(data),
        TpmAlgId.Sm3_256 => OpenSslCli.Digest("sm3", data),
        TpmAlgId.Sha3_256 => OpenSslCli.Digest("sha3-256", data),
        TpmAlgId.Sha3_384 => OpenSslCli.Digest("sha3-384", data),
        TpmAlgId.Sha3_512 => OpenSslCli.Digest("sha3-512", data),
        _ => throw new ArgumentException($"no reference hash for 0x{alg:x4}", nameof(alg)),
    };

    /// <summary>EV_NO_ACTION StartupLocality (PCR 0 starts with this locality); must come before any PCR 0 extend.</summary>
    public MultiBankLogBuilder StartupLocality(byte locality)
    {
        _locality = locality;
        byte[] data = [.. "StartupLocality\0"u8, locality];
        WriteEvent(0, (uint)TcgEventType.EV_NO_ACTION, data, _ => null);
        return this;
    }

    /// <summary>An extending event whose digest in each bank is H(<paramref name="data"/>), unless
    /// <paramref name="digestOverride"/> gives another digest for a bank.</summary>
    public MultiBankLogBuilder Event(uint pcr, TcgEventType type, byte[] data, Func<ushort, byte[]?>? digestOverride = null)
    {
        Dictionary<ushort, byte[]> digests = WriteEvent(pcr, (uint)type, data, alg => digestOverride?.Invoke(alg));
        foreach ((ushort alg, byte[][] pcrs) in _pcrs)
        {
            if (_extended[alg].Add((int)pcr))
            {
                pcrs[pcr] = Initial((int)pcr, pcrs[pcr].Length);
            }
            pcrs[pcr] = ReferenceHash(alg, [.. pcrs[pcr], .. digests[alg]]);
        }
        return this;
    }

    public byte[] Build() => _log.ToArray();

    /// <summary>Records in the log, the Spec ID header included.</summary>
    public int EventCount => _events;

    /// <summary>bank name → PCR → lowercase hex, for every bank with a reference hash and every PCR extended.</summary>
    public Dictionary<string, Dictionary<int, string>> Expected() =>
        _pcrs.Where(b => _extended[b.Key].Count > 0).ToDictionary(
            b => TpmAlgorithms.BankName(b.Key),
            b => _extended[b.Key].ToDictionary(p => p, p => Convert.ToHexStringLower(b.Value[p])));

    private byte[] Initial(int pcr, int size)
    {
        byte[] v = new byte[size];
        if (pcr is >= 17 and <= 22)
        {
            Array.Fill(v, (byte)0xFF);
        }
        else if (pcr == 0)
        {
            v[^1] = _locality;
        }
        return v;
    }

    private Dictionary<ushort, byte[]> WriteEvent(uint pcr, uint type, byte[] data, Func<ushort, byte[]?> overrideOf)
    {
        bool noAction = type == (uint)TcgEventType.EV_NO_ACTION;
        var digests = new Dictionary<ushort, byte[]>();
        _log.U32(pcr).U32(type).U32((uint)_banks.Length);
        foreach ((ushort alg, ushort size) in _banks)
        {
            byte[] digest = overrideOf(alg)
                ?? (noAction ? new byte[size]
                    : TpmAlgorithms.GetDigestSize((TpmAlgId)alg) != 0 ? ReferenceHash(alg, data)
                    : SHA512.HashData(data).AsSpan(0, size).ToArray());
            Assert.Equal(size, digest.Length);
            digests[alg] = digest;
            _log.U16(alg).Bytes(digest);
        }
        _log.U32((uint)data.Length).Bytes(data);
        _events++;
        return digests;
    }
}
