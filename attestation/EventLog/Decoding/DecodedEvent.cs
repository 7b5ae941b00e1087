namespace KcryptPush.Attestation.EventLog.Decoding;

/// <summary>
/// Readable content of one event's data, from <see cref="EventDecoder"/>. UNTRUSTED: it is what
/// the log says. Decoding is separate from parsing: a body that cannot be decoded gives an
/// <see cref="UndecodableEvent"/>, never a failure of the whole log.
/// </summary>
public abstract record DecodedEvent
{
    /// <summary>Short kind name, e.g. "efi_variable", "image_load", "undecodable".</summary>
    public abstract string Kind { get; }

    /// <summary>One-line readable summary.</summary>
    public abstract string Summary { get; }
}

/// <summary>The event data does not have the structure its type calls for.</summary>
/// <param name="Reason">What is wrong, with the byte offset.</param>
public sealed record UndecodableEvent(string Reason) : DecodedEvent
{
    /// <inheritdoc/>
    public override string Kind => "undecodable";
    /// <inheritdoc/>
    public override string Summary => $"undecodable: {Reason}";
}

/// <summary>An event type with no decoder here (or opaque by definition): length and a hex preview.</summary>
/// <param name="Length">Data length.</param>
/// <param name="HexPreview">Up to the first 64 bytes as lowercase hex.</param>
public sealed record RawEvent(int Length, string HexPreview) : DecodedEvent
{
    /// <inheritdoc/>
    public override string Kind => "raw";
    /// <inheritdoc/>
    public override string Summary => Length == 0 ? "(no data)" : $"{Length} bytes: {HexPreview}{(Length > 64 ? "..." : "")}";
}

/// <summary>A text event: EV_IPL, EV_ACTION, EV_EFI_ACTION, EV_S_CRTM_VERSION, a string EV_POST_CODE.</summary>
/// <param name="Text">The text, trailing NULs removed, control characters escaped.</param>
/// <param name="Encoding">"ascii" or "utf-16".</param>
public sealed record TextEvent(string Text, string Encoding) : DecodedEvent
{
    /// <inheritdoc/>
    public override string Kind => "text";
    /// <inheritdoc/>
    public override string Summary => $"\"{Text}\"";
}

/// <summary>EV_SEPARATOR (PFP §10.4.4): 00000000 normal, 00000001 or FFFFFFFF error, "WBCL" on Windows.</summary>
/// <param name="Value">The data as hex.</param>
/// <param name="Meaning">"normal", "error", "windows (WBCL)", or "unknown".</param>
public sealed record SeparatorEvent(string Value, string Meaning) : DecodedEvent
{
    /// <inheritdoc/>
    public override string Kind => "separator";
    /// <inheritdoc/>
    public override string Summary => $"separator {Value} ({Meaning})";
}

/// <summary>The Spec ID header record.</summary>
public sealed record SpecIdDecoded(SpecIdEvent SpecId) : DecodedEvent
{
    /// <inheritdoc/>
    public override string Kind => "spec_id";
    /// <inheritdoc/>
    public override string Summary =>
        $"Spec ID Event03: platformClass {SpecId.PlatformClass}, version {SpecId.Version}, errata {SpecId.SpecErrata}, "
        + $"uintnSize {SpecId.UintnSize}, algorithms {string.Join(", ", SpecId.Algorithms.Select(a => $"{a.BankName}/{a.DigestSize}"))}";
}

/// <summary>StartupLocality EV_NO_ACTION (PFP §10.4.5.3).</summary>
public sealed record StartupLocalityEvent(byte Locality) : DecodedEvent
{
    /// <inheritdoc/>
    public override string Kind => "startup_locality";
    /// <inheritdoc/>
    public override string Summary => $"StartupLocality {Locality}";
}

/// <summary>Another EV_NO_ACTION event, named by its 16-byte signature when it is text.</summary>
public sealed record NoActionEvent(string Signature, int Length) : DecodedEvent
{
    /// <inheritdoc/>
    public override string Kind => "no_action";
    /// <inheritdoc/>
    public override string Summary => $"EV_NO_ACTION \"{Signature}\" ({Length} bytes)";
}

/// <summary>EV_EFI_HCRTM_EVENT: data "HCRTM"; PCR 0 started at locality 4.</summary>
public sealed record HcrtmEvent(string Text) : DecodedEvent
{
    /// <inheritdoc/>
    public override string Kind => "hcrtm";
    /// <inheritdoc/>
    public override string Summary => $"H-CRTM \"{Text}\"";
}

/// <summary>UEFI_PLATFORM_FIRMWARE_BLOB(2) (PFP §10.4.4): base and length, with a description for BLOB2.</summary>
public sealed record FirmwareBlobEvent(ulong Base, ulong Length, string? Description) : DecodedEvent
{
    /// <inheritdoc/>
    public override string Kind => "firmware_blob";
    /// <inheritdoc/>
    public override string Summary => $"{(Description is null ? "" : $"\"{Description}\" ")}base 0x{Base:x}, length 0x{Length:x}";
}
