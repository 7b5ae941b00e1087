namespace KcryptPush.Attestation.EventLog;

/// <summary>
/// TCG_EfiSpecIdEvent, the data of the first record of a crypto-agile log (PFP §10.4.5.1
/// "Specification ID Version Event"): signature "Spec ID Event03\0", platformClass UINT32,
/// specVersionMinor UINT8, specVersionMajor UINT8, specErrata UINT8, uintnSize UINT8,
/// numberOfAlgorithms UINT32, digestSizes[numberOfAlgorithms], vendorInfoSize UINT8,
/// vendorInfo. UNTRUSTED: read from the log, not checked against the TPM.
/// </summary>
public sealed class SpecIdEvent
{
    /// <summary>The 16-byte signature that marks a crypto-agile log.</summary>
    public static ReadOnlySpan<byte> Signature => "Spec ID Event03\0"u8;

    /// <summary>platformClass (0 = client).</summary>
    public required uint PlatformClass { get; init; }

    /// <summary>specVersionMinor.</summary>
    public required byte SpecVersionMinor { get; init; }

    /// <summary>specVersionMajor (2 for TPM 2.0 logs).</summary>
    public required byte SpecVersionMajor { get; init; }

    /// <summary>specErrata.</summary>
    public required byte SpecErrata { get; init; }

    /// <summary>uintnSize: 1 = UINT32, 2 = UINT64.</summary>
    public required byte UintnSize { get; init; }

    /// <summary>The banks of the log in their Spec ID order.</summary>
    public required IReadOnlyList<SpecIdAlgorithm> Algorithms { get; init; }

    /// <summary>vendorInfo bytes.</summary>
    public required ReadOnlyMemory<byte> VendorInfo { get; init; }

    /// <summary>"2.0" style version string.</summary>
    public string Version => $"{SpecVersionMajor}.{SpecVersionMinor}";

    /// <summary>Declared digest size for <paramref name="algorithmId"/>, or -1 when the Spec ID does not list it.</summary>
    public int DigestSizeOf(ushort algorithmId)
    {
        for (int i = 0; i < Algorithms.Count; i++)
        {
            if (Algorithms[i].AlgorithmId == algorithmId)
            {
                return Algorithms[i].DigestSize;
            }
        }
        return -1;
    }
}
