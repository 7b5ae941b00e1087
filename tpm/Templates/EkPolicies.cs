namespace KcryptPush.Tpm.Templates;

/// <summary>
/// EK authPolicy digests from the TCG EK Credential Profile (TPM-FACTS §3; recomputed in the
/// tests from the policy rules of TPM-FACTS §1). Each call returns a fresh array.
/// </summary>
public static class EkPolicies
{
    /// <summary>PolicyA-256: PolicySecret(TPM_RH_ENDORSEMENT) with SHA-256 (L-1, L-2).</summary>
    public static byte[] PolicyA256 => Convert.FromHexString("837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa");

    /// <summary>PolicyA-384: PolicySecret(TPM_RH_ENDORSEMENT) with SHA-384.</summary>
    public static byte[] PolicyA384 => Convert.FromHexString(
        "8bbf2266537c171cb56e403c4dc1d4b64f432611dc386e6f532050c3278c930e143e8bb1133824ccb431053871c6db53");

    /// <summary>PolicyC-384: PolicyAuthorizeNV(index I-2 0x01C07F02).</summary>
    public static byte[] PolicyC384 => Convert.FromHexString(
        "d6032ce61f2fb3c240eb3cf6a33237ef2b6a16f4293c22b455e261cffd217ad5b4947c2d73e63005eed2dc2b3593d165");

    /// <summary>PolicyB-384: PolicyOR(A-384, C-384) (H-3).</summary>
    public static byte[] PolicyB384 => Convert.FromHexString(
        "b26e7d28d11a50bc53d882bcf5fd3a1a074148bb35d3b4e4cb1c0ad9bde419cacb47ba09699646150f9fc000f3f80e12");

    /// <summary>PolicyB-256: PolicyOR(A-256, C-256) (H-1, H-2).</summary>
    public static byte[] PolicyB256 => Convert.FromHexString("ca3d0a99a2b93906f7a3342414efcfb3a385d44cd1fd459089d19b5071c0b7a0");

    /// <summary>NV index I-1 (SHA-256 policy index referenced by PolicyC-256).</summary>
    public const uint PolicyIndexSha256 = 0x01C07F01;

    /// <summary>NV index I-2 (SHA-384 policy index referenced by PolicyC-384).</summary>
    public const uint PolicyIndexSha384 = 0x01C07F02;

    /// <summary>NV index I-3 (SHA-512 policy index).</summary>
    public const uint PolicyIndexSha512 = 0x01C07F03;
}
