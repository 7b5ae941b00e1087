namespace KcryptPush.Registrar.Enrolment;

/// <summary>How an EK came to be trusted (stored with the node).</summary>
public static class EkTrustMethods
{
    /// <summary>A certificate that chains to a configured manufacturer CA.</summary>
    public const string Certificate = "ek-certificate";

    /// <summary>The TPM hash is in Registrar:AllowedTpmHashes (and RequireEkCertificate is false).</summary>
    public const string AllowList = "allow-list";
}
