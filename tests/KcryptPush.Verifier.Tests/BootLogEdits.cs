using System.Buffers.Binary;
using System.Text;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Evidence;
using KcryptPush.Attestation.Replay;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Verifier.Tests;

/// <summary>(As the attestation tests' LogEdits, plus quotes.) Edits of a crypto-agile event log's records (TCG_PCR_EVENT2: pcr, type, digests, size, data), re-encoded byte-exact.</summary>
internal static class BootLogEdits
{
    /// <summary>
    /// Replaces the data of record <paramref name="index"/> and sets every digest to H(<paramref name="measured"/>)
    /// in its bank, as a boot that measured those bytes would log it; with <paramref name="keepDigests"/> the
    /// logged digests stay (an edit of the data alone).
    /// </summary>
    public static byte[] ReplaceData(byte[] log, int index, byte[] data, byte[]? measured = null, bool keepDigests = false)
    {
        ParsedEventLog parsed = EventLogParser.Parse(log);
        UntrustedEvent e = parsed.UntrustedEvents[index];
        var digests = e.Digests.Select(d =>
        {
            if (keepDigests)
            {
                return (d.AlgorithmId, d.Digest.ToArray());
            }

            var digest = new byte[d.Digest.Length];
            TcgAlgorithms.Hash(d.AlgorithmId, measured ?? data, digest);
            return (d.AlgorithmId, digest);
        }).ToList();
        return [.. log.AsSpan(0, e.Offset), .. Record(e.PcrIndex, e.EventType, digests, data), .. log.AsSpan(e.Offset + e.Length)];
    }

    /// <summary>Replaces <paramref name="from"/> by <paramref name="to"/> in the text of record <paramref name="index"/>
    /// (UTF-16LE or ASCII, as <paramref name="utf16"/> says) and sets its digests to H(new data) or, with
    /// <paramref name="measured"/>, to H(measured(new text)).</summary>
    public static byte[] ReplaceText(byte[] log, int index, string from, string to, bool utf16, Func<string, byte[]>? measured = null)
    {
        UntrustedEvent e = EventLogParser.Parse(log).UntrustedEvents[index];
        Encoding encoding = utf16 ? Encoding.Unicode : Encoding.ASCII;
        string text = encoding.GetString(e.Data.Span);
        Assert.Contains(from, text, StringComparison.Ordinal);
        string edited = text.Replace(from, to, StringComparison.Ordinal);
        return ReplaceData(log, index, encoding.GetBytes(edited), measured?.Invoke(edited));
    }

    /// <summary>Record <paramref name="index"/> without its digest in <paramref name="bank"/> (TPML_DIGEST_VALUES.count one lower).</summary>
    public static byte[] DropDigest(byte[] log, int index, ushort bank)
    {
        UntrustedEvent e = EventLogParser.Parse(log).UntrustedEvents[index];
        var digests = e.Digests.Where(d => d.AlgorithmId != bank).Select(d => (d.AlgorithmId, d.Digest.ToArray())).ToList();
        Assert.Equal(e.Digests.Length - 1, digests.Count);
        return [.. log.AsSpan(0, e.Offset), .. Record(e.PcrIndex, e.EventType, digests, e.Data.ToArray()), .. log.AsSpan(e.Offset + e.Length)];
    }

    /// <summary>
    /// The PCR values a TPM that measured <paramref name="log"/> quotes (PCRs 0-23 of <paramref name="banks"/>): the log's
    /// replay, and the reset value of every PCR it does not extend; bank name → index → value.
    /// </summary>
    public static Dictionary<string, IReadOnlyDictionary<int, byte[]>> QuoteOf(byte[] log, params string[] banks)
    {
        ParsedEventLog parsed = EventLogParser.Parse(log);
        ReplayResult replay = EventLogReplayer.Replay(parsed);
        var quoted = new Dictionary<string, IReadOnlyDictionary<int, byte[]>>(StringComparer.Ordinal);
        foreach (string name in banks)
        {
            ReplayedBank bank = replay.Banks.Single(b => b.Name == name);
            quoted[name] = Enumerable.Range(0, 24).ToDictionary(p => p, p =>
            {
                if (bank.Pcrs.TryGetValue(p, out byte[]? v))
                {
                    return v;
                }

                var reset = new byte[TpmAlgorithms.GetDigestSize((TpmAlgId)bank.AlgorithmId)];
                PcrInitialValues.Write(p, replay.Pcr0StartLocality, reset);
                return reset;
            });
        }

        return quoted;
    }

    /// <summary>The verified log the pipeline gets for <paramref name="log"/> quoted as <paramref name="quoted"/>.</summary>
    public static VerifiedEventLog Verify(byte[] log, IReadOnlyDictionary<string, IReadOnlyDictionary<int, byte[]>> quoted)
    {
        ParsedEventLog parsed = EventLogParser.Parse(log);
        var actual = quoted.ToDictionary(kv => (TpmAlgId)PolicyBankId(kv.Key), kv => kv.Value);
        return EvidenceVerifier.Replay(parsed, actual).Log;
    }

    private static ushort PolicyBankId(string name) =>
        TpmAlgorithms.TryParsePcrBank(name, out TpmAlgId alg) ? (ushort)alg : throw new ArgumentOutOfRangeException(nameof(name), name, "bank");

    /// <summary>The log without the records <paramref name="remove"/> selects.</summary>
    public static byte[] Remove(byte[] log, Func<UntrustedEvent, bool> remove)
    {
        ParsedEventLog parsed = EventLogParser.Parse(log);
        var result = new List<byte>(log.Length);
        int at = 0;
        foreach (UntrustedEvent e in parsed.UntrustedEvents.Where(remove))
        {
            result.AddRange(log.AsSpan(at, e.Offset - at));
            at = e.Offset + e.Length;
        }

        result.AddRange(log.AsSpan(at));
        return [.. result];
    }

    /// <summary>The log with one more record, after every other: digests H(<paramref name="measured"/> or the data)
    /// in each bank of the log, or the digests of <paramref name="digestsOf"/>.</summary>
    public static byte[] Append(byte[] log, uint pcr, TcgEventType type, byte[] data, byte[]? measured = null, UntrustedEvent? digestsOf = null)
    {
        ParsedEventLog parsed = EventLogParser.Parse(log);
        var digests = digestsOf is not null
            ? digestsOf.Digests.Select(d => (d.AlgorithmId, d.Digest.ToArray())).ToList()
            : parsed.Banks.Select(b =>
            {
                var digest = new byte[b.DigestSize];
                TcgAlgorithms.Hash(b.AlgorithmId, measured ?? data, digest);
                return (b.AlgorithmId, digest);
            }).ToList();
        return [.. log, .. Record(pcr, type, digests, data)];
    }

    private static byte[] Record(uint pcr, TcgEventType type, List<(ushort Alg, byte[] Digest)> digests, byte[] data)
    {
        var bytes = new List<byte>();
        var u32 = new byte[4];
        var u16 = new byte[2];
        void U32(uint v)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(u32, v);
            bytes.AddRange(u32);
        }

        U32(pcr);
        U32((uint)type);
        U32((uint)digests.Count);
        foreach ((ushort alg, byte[] digest) in digests)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(u16, alg);
            bytes.AddRange(u16);
            bytes.AddRange(digest);
        }

        U32((uint)data.Length);
        bytes.AddRange(data);
        return [.. bytes];
    }
}
