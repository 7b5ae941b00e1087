namespace KcryptPush.Attestation.EventLog;

/// <summary>
/// The StartupLocality EV_NO_ACTION event (PFP §10.4.5.3 "Startup Locality Event"): data
/// "StartupLocality\0" + locality UINT8, logged in PCR 0 when TPM2_Startup ran at locality 3,
/// which makes PCR 0 start as 00..03 instead of zero.
/// </summary>
public static class StartupLocality
{
    /// <summary>The 16-byte signature of the event data.</summary>
    public static ReadOnlySpan<byte> Signature => "StartupLocality\0"u8;

    /// <summary>Reads the locality if <paramref name="e"/> is a StartupLocality event (EV_NO_ACTION, PCR 0).</summary>
    public static bool TryRead(UntrustedEvent e, out byte locality)
    {
        ReadOnlySpan<byte> data = e.Data.Span;
        if (e.EventType == TcgEventType.EV_NO_ACTION && e.PcrIndex == 0
            && data.Length >= Signature.Length + 1 && data.StartsWith(Signature))
        {
            locality = data[Signature.Length];
            return true;
        }
        locality = 0;
        return false;
    }
}
