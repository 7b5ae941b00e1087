using KcryptPush.Attestation.EventLog;

namespace KcryptPush.Attestation.BootPolicy;

/// <summary>
/// Bank names of a measured-boot policy ("sha1", "sha256", ...; the names of
/// <see cref="TcgAlgorithms.BankName"/>) and the bank a new policy records.
/// </summary>
public static class PolicyBanks
{
    private static readonly TcgAlgorithmId[] Known =
    [
        TcgAlgorithmId.Sha1, TcgAlgorithmId.Sha256, TcgAlgorithmId.Sha384, TcgAlgorithmId.Sha512,
        TcgAlgorithmId.Sm3_256, TcgAlgorithmId.Sha3_256, TcgAlgorithmId.Sha3_384, TcgAlgorithmId.Sha3_512,
    ];

    /// <summary>The TPM_ALG_ID of a known bank name; false for unknown names (including "alg_0x####").</summary>
    public static bool TryParse(string name, out ushort algorithmId)
    {
        foreach (TcgAlgorithmId id in Known)
        {
            if (string.Equals(TcgAlgorithms.BankName((ushort)id), name, StringComparison.Ordinal))
            {
                algorithmId = (ushort)id;
                return true;
            }
        }
        algorithmId = 0;
        return false;
    }

    /// <summary>The names this policy format accepts.</summary>
    public static IEnumerable<string> Names => Known.Select(id => TcgAlgorithms.BankName((ushort)id));

    /// <summary>
    /// The bank a policy made from <paramref name="log"/> records: sha256 when the log carries it
    /// (every crypto-agile log from current firmware does, and it is the bank quotes are usually
    /// made over); else sha1 (SHA-1 legacy logs, PFP §10.2.1, carry nothing else); else the first
    /// bank of the Spec ID event with a known digest size (e.g. a sha384-only log); else the first bank.
    /// </summary>
    public static ushort Preferred(ParsedEventLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        foreach (TcgAlgorithmId wanted in new[] { TcgAlgorithmId.Sha256, TcgAlgorithmId.Sha1 })
        {
            if (log.Banks.Any(b => b.AlgorithmId == (ushort)wanted))
            {
                return (ushort)wanted;
            }
        }
        foreach (SpecIdAlgorithm bank in log.Banks)
        {
            if (TcgAlgorithms.KnownDigestSize(bank.AlgorithmId) != 0)
            {
                return bank.AlgorithmId;
            }
        }
        // The parser always gives at least one bank; an unknown-only log yields a policy that
        // fails validation on load, which says so clearly, rather than a crash here.
        return log.Banks.Count > 0 ? log.Banks[0].AlgorithmId : (ushort)TcgAlgorithmId.Sha256;
    }
}
