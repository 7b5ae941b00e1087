namespace KcryptPush.Tpm.Templates;

/// <summary>
/// NV indexes of EK certificates, nonces and templates (TCG EK Credential Profile; TPM-FACTS §3).
/// </summary>
public static class EkNvIndexes
{
    /// <summary>RSA 2048 EK certificate (L-1).</summary>
    public const uint RsaCertificate = 0x01C00002;

    /// <summary>RSA 2048 EK nonce.</summary>
    public const uint RsaNonce = 0x01C00003;

    /// <summary>RSA 2048 EK template.</summary>
    public const uint RsaTemplate = 0x01C00004;

    /// <summary>ECC P-256 EK certificate (L-2).</summary>
    public const uint EccCertificate = 0x01C0000A;

    /// <summary>ECC P-256 EK nonce.</summary>
    public const uint EccNonce = 0x01C0000B;

    /// <summary>ECC P-256 EK template.</summary>
    public const uint EccTemplate = 0x01C0000C;

    /// <summary>High-range H-1 RSA 2048 EK certificate.</summary>
    public const uint RsaHighCertificate = 0x01C00012;

    /// <summary>High-range H-2 ECC P-256 EK certificate.</summary>
    public const uint EccP256HighCertificate = 0x01C00014;

    /// <summary>High-range H-3 ECC P-384 EK certificate (swtpm_setup writes it).</summary>
    public const uint EccP384HighCertificate = 0x01C00016;
}
