using KcryptPush.Attestation.EventLog;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.BootPolicy;

/// <summary>
/// Bank names of a measured-boot policy ("sha1", "sha256", ...; the names of
/// <see cref="TpmAlgorithms.BankName(TpmAlgId)"/>) and the bank a new policy records.
/// </summary>
public static class PolicyBanks
{
    /// <summary>The TPM_ALG_ID of a known bank name; false for unknown names (including "alg_0x####").</summary>
    public static bool TryParse(string name, out ushort algorithmId)
    {
        bool known = TpmAlgorithms.TryParseBankName(name, out TpmAlgId alg);
        algorithmId = known ? (ushort)alg : (ushort)0;
        return known;
    }

    /// <summary>The names this policy format accepts.</summary>
    public static IEnumerable<string> Names => TpmAlgorithms.Hashes.Select(id => TpmAlgorithms.BankName(id));

    /// <summary>
    /// The bank a policy made from <paramref name="log"/> records: sha256 when the log carries it
    /// (every crypto-agile log from current firmware does, and it is the bank quotes are usually
    /// made over); else sha1 (SHA-1 legacy logs, PFP §10.2.1, carry nothing else); else the first
    /// bank of the Spec ID event with a known digest size (e.g. a sha384-only log); else the first bank.
    /// </summary>
    public static ushort Preferred(ParsedEventLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        foreach (TpmAlgId wanted in new[] { TpmAlgId.Sha256, TpmAlgId.Sha1 })
        {
            if (log.Banks.Any(b => b.AlgorithmId == (ushort)wanted))
            {
                return (ushort)wanted;
            }
        }
        foreach (SpecIdAlgorithm bank in log.Banks)
        {
            if (TpmAlgorithms.GetDigestSize((TpmAlgId)bank.AlgorithmId) != 0)
            {
                return bank.AlgorithmId;
            }
        }
        // The parser always gives at least one bank; an unknown-only log yields a policy that
        // fails validation on load, which says so clearly, rather than a crash here.
        return log.Banks.Count > 0 ? log.Banks[0].AlgorithmId : (ushort)TpmAlgId.Sha256;
    }
}
