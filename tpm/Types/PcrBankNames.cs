namespace KcryptPush.Tpm.Types;

/// <summary>The contracts' bank names (<c>sha1</c>, <c>sha256</c>...) ↔ TPM_ALG_ID (TPM 2.0 Part 2 §6.3).</summary>
public static class PcrBankNames
{
    /// <summary>The TPM_ALG_ID of a bank name.</summary>
    public static bool TryParse(string? name, out TpmAlgId alg)
    {
        alg = name switch
        {
            "sha1" => TpmAlgId.Sha1,
            "sha256" => TpmAlgId.Sha256,
            "sha384" => TpmAlgId.Sha384,
            "sha512" => TpmAlgId.Sha512,
            _ => TpmAlgId.Null,
        };
        return alg != TpmAlgId.Null;
    }

    /// <summary>The bank name of a TPM_ALG_ID.</summary>
    public static string NameOf(TpmAlgId alg) => alg switch
    {
        TpmAlgId.Sha1 => "sha1",
        TpmAlgId.Sha256 => "sha256",
        TpmAlgId.Sha384 => "sha384",
        TpmAlgId.Sha512 => "sha512",
        _ => $"0x{(ushort)alg:x4}",
    };
}
