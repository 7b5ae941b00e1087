namespace KcryptPush.Attestation.Replay;

/// <summary>
/// Values PCRs hold after TPM2_Startup (TPM 2.0 Part 1 §17 and the PC Client PTP PCR table):
/// PCRs 0-16 and 23 are zero; PCRs 17-22 (DRTM) are all 0xFF until a dynamic launch resets them;
/// PCR 0 ends in the startup locality (3 per a StartupLocality event, 4 after an H-CRTM sequence).
/// </summary>
public static class PcrInitialValues
{
    /// <summary>Number of PCRs of a PC Client TPM.</summary>
    public const int PcrCount = 24;

    /// <summary>Writes the initial value of <paramref name="pcr"/> into <paramref name="destination"/>.</summary>
    public static void Write(int pcr, byte pcr0Locality, Span<byte> destination)
    {
        if (pcr is >= 17 and <= 22)
        {
            destination.Fill(0xFF);
            return;
        }
        destination.Clear();
        if (pcr == 0)
        {
            destination[^1] = pcr0Locality;
        }
    }
}
