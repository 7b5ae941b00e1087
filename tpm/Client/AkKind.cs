namespace KcryptPush.Tpm.Client;

/// <summary>The AK templates we create (Templates/AkTemplates; TPM-FACTS §4).</summary>
public enum AkKind
{
    /// <summary>RSA 2048, RSASSA-PKCS1-v1_5 with SHA-256.</summary>
    Rsa2048,

    /// <summary>RSA 2048, RSASSA-PSS with SHA-256.</summary>
    Rsa2048Pss,

    /// <summary>ECC NIST P-256, ECDSA with SHA-256.</summary>
    EccP256,
}
