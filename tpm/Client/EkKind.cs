namespace KcryptPush.Tpm.Client;

/// <summary>The EK templates we create (TCG EK Credential Profile; DESIGN.md "Identities").</summary>
public enum EkKind
{
    /// <summary>L-1 RSA 2048, certificate at NV 0x01C00002 (<c>--ek rsa</c>).</summary>
    Rsa2048,

    /// <summary>L-2 ECC NIST P-256, certificate at NV 0x01C0000A (<c>--ek ecc</c>).</summary>
    EccP256,

    /// <summary>H-3 ECC NIST P-384, certificate at NV 0x01C00016 (<c>--ek ecc384</c>).</summary>
    EccP384,
}
