namespace KcryptPush.Attestation.BootPolicy;

/// <summary>What is wrong with a policy file (see <see cref="BootPolicyFormatException"/>).</summary>
public enum BootPolicyErrorKind
{
    /// <summary>Not JSON, or JSON of the wrong shape (a missing field, a wrong type, an unknown field).</summary>
    Malformed,

    /// <summary>A "version" this code does not read.</summary>
    UnsupportedVersion,

    /// <summary>A bank name that is not a known hash algorithm, or a bank listed twice.</summary>
    UnknownBank,

    /// <summary>A digest that is not hex.</summary>
    MalformedHex,

    /// <summary>A digest whose length is not the bank's digest size.</summary>
    WrongDigestLength,

    /// <summary>Well-formed values that do not fit together (a digest map without a policy bank, stages out of order).</summary>
    Inconsistent,
}
