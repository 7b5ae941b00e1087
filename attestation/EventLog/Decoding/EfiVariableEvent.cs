namespace KcryptPush.Attestation.EventLog.Decoding;

/// <summary>An EV_EFI_VARIABLE_* event: the UEFI_VARIABLE_DATA and what we recognize in it.</summary>
/// <param name="Variable">The parsed structure.</param>
/// <param name="Recognized">Which Secure Boot variable it is, if any.</param>
/// <param name="SignatureLists">EFI_SIGNATURE_LISTs of PK/KEK/db/dbx/MokList values, when they parse.</param>
/// <param name="Detail">Readable value: SecureBoot on/off, BootOrder, a Boot#### load option, or why lists did not parse.</param>
public sealed record EfiVariableEvent(
    UefiVariableData Variable,
    SecureBootVariable Recognized,
    IReadOnlyList<EfiSignatureList>? SignatureLists,
    string? Detail) : DecodedEvent
{
    /// <inheritdoc/>
    public override string Kind => "efi_variable";

    /// <inheritdoc/>
    public override string Summary
    {
        get
        {
            string head = $"{KnownGuids.Describe(Variable.VendorGuid)}:{Variable.Name} ({Variable.Data.Length} bytes)";
            if (SignatureLists is not null)
            {
                head += ": " + (SignatureLists.Count == 0 ? "no signature lists"
                    : string.Join("; ", SignatureLists.Select(l => $"{l.Signatures.Count} x {l.TypeName}")));
            }
            return Detail is null ? head : $"{head}: {Detail}";
        }
    }
}

/// <summary>UEFI_IMAGE_LOAD_EVENT (PFP §10.4.4, EV_EFI_BOOT_SERVICES_APPLICATION/DRIVER,
/// EV_EFI_RUNTIME_SERVICES_DRIVER): where the image was loaded and its device path as text.</summary>
public sealed record ImageLoadEvent(ulong ImageLocationInMemory, ulong ImageLengthInMemory, ulong ImageLinkTimeAddress, string DevicePath)
    : DecodedEvent
{
    /// <inheritdoc/>
    public override string Kind => "image_load";
    /// <inheritdoc/>
    public override string Summary => $"{DevicePath} (at 0x{ImageLocationInMemory:x}, 0x{ImageLengthInMemory:x} bytes)";
}

/// <summary>One EFI_PARTITION_ENTRY of a GPT event.</summary>
public sealed record GptPartition(Guid PartitionType, Guid UniquePartition, ulong StartingLba, ulong EndingLba, ulong Attributes, string Name);

/// <summary>UEFI_GPT_DATA (PFP §10.4.4, EV_EFI_GPT_EVENT): the GPT header and the partitions in use.</summary>
public sealed record GptEvent(Guid DiskGuid, ulong NumberOfPartitions, IReadOnlyList<GptPartition> Partitions) : DecodedEvent
{
    /// <inheritdoc/>
    public override string Kind => "gpt";
    /// <inheritdoc/>
    public override string Summary =>
        $"disk {DiskGuid}, {NumberOfPartitions} partitions: "
        + string.Join("; ", Partitions.Select(p => $"\"{p.Name}\" {p.UniquePartition} LBA {p.StartingLba}-{p.EndingLba}"));
}

/// <summary>SP800-155 Event3 EV_NO_ACTION (PFP §10.4.5.4, NIST SP 800-155 reference manifest info).</summary>
public sealed record Sp800155Event3(
    uint PlatformManufacturerId,
    Guid ReferenceManifestGuid,
    string PlatformManufacturer,
    string PlatformModel,
    string PlatformVersion,
    string FirmwareManufacturer,
    uint FirmwareManufacturerId,
    string FirmwareVersion,
    uint RimLocatorType,
    ReadOnlyMemory<byte> RimLocator,
    uint PlatformCertLocatorType,
    ReadOnlyMemory<byte> PlatformCertLocator) : DecodedEvent
{
    /// <inheritdoc/>
    public override string Kind => "sp800_155_event3";
    /// <inheritdoc/>
    public override string Summary =>
        $"SP800-155 Event3: platform \"{PlatformManufacturer}\" \"{PlatformModel}\" \"{PlatformVersion}\", "
        + $"firmware \"{FirmwareManufacturer}\" \"{FirmwareVersion}\", RIM {ReferenceManifestGuid} "
        + $"(locator type {RimLocatorType}, {RimLocator.Length} bytes)";
}
