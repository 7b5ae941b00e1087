using System.Text;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.EventLog.Decoding;

namespace KcryptPush.Attestation.Tests.EventLog;

[Trait("Category", "Unit")]
public class DecoderTests
{
    private static UntrustedEvent Event(TcgEventType type, byte[] data, uint pcr = 4) => new()
    {
        Index = 1, PcrIndex = pcr, EventType = type, Digests = [], Data = data, Offset = 100, Length = 32 + data.Length,
    };

    private static byte[] Node(byte type, byte subType, byte[] body) =>
        new LogBuilder().U8(type).U8(subType).U16((ushort)(4 + body.Length)).Bytes(body).ToArray();

    private static byte[] End => [0x7F, 0xFF, 4, 0];

    private static byte[] ImageLoad(byte[] devicePath) =>
        new LogBuilder().U64(0x1000).U64(0x2000).U64(0).U64((ulong)devicePath.Length).Bytes(devicePath).ToArray();

    [Fact]
    public void Image_load_device_path_renders_common_nodes_and_unknown_ones_as_hex()
    {
        byte[] path = [
            .. Node(2, 1, new LogBuilder().U32(0x0A0341D0).U32(0).ToArray()),   // ACPI PNP0A03 → PciRoot(0x0)
            .. Node(1, 1, [0x01, 0x1F]),                                        // PCI function 1, device 0x1f
            .. Node(9, 9, [0xAB]),                                              // unknown type
            .. Node(4, 4, Encoding.Unicode.GetBytes("\\EFI\\BOOT\\BOOTX64.EFI\0")),
            .. End,
        ];
        var decoded = Assert.IsType<ImageLoadEvent>(EventDecoder.Decode(Event(TcgEventType.EV_EFI_BOOT_SERVICES_APPLICATION, ImageLoad(path))));
        Assert.Equal(@"PciRoot(0x0)/Pci(0x1f,0x1)/Path(9,9,ab)/\EFI\BOOT\BOOTX64.EFI", decoded.DevicePath);
        Assert.Equal(0x1000ul, decoded.ImageLocationInMemory);
    }

    [Fact]
    public void Device_path_node_shorter_than_its_header_is_undecodable_with_the_offset()
    {
        byte[] data = ImageLoad([1, 1, 2, 0]);   // Length 2 < 4
        var decoded = Assert.IsType<UndecodableEvent>(EventDecoder.Decode(Event(TcgEventType.EV_EFI_BOOT_SERVICES_DRIVER, data)));
        Assert.Contains("Length >= 4", decoded.Reason, StringComparison.Ordinal);
        Assert.Contains("offset", decoded.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Efi_variable_name_length_is_in_characters()
    {
        byte[] data = new LogBuilder()
            .Bytes(KnownGuids.EfiGlobalVariable.ToByteArray())
            .U64(10)                                        // "SecureBoot": 10 characters, 20 bytes
            .U64(1)
            .Bytes(Encoding.Unicode.GetBytes("SecureBoot"))
            .U8(1).ToArray();
        var v = Assert.IsType<EfiVariableEvent>(EventDecoder.Decode(Event(TcgEventType.EV_EFI_VARIABLE_DRIVER_CONFIG, data, 7)));
        Assert.Equal(SecureBootVariable.SecureBoot, v.Recognized);
        Assert.Equal("enabled", v.Detail);
    }

    [Fact]
    public void Db_signature_lists_are_counted_by_type()
    {
        byte[] hashes = new LogBuilder()
            .Bytes(KnownGuids.EfiCertSha256.ToByteArray())
            .U32(28 + 2 * 48).U32(0).U32(48)                // list size, header size, signature size
            .Bytes(new byte[16]).Bytes(new byte[32])
            .Bytes(new byte[16]).Bytes(new byte[32]).ToArray();
        byte[] data = new LogBuilder()
            .Bytes(KnownGuids.EfiImageSecurityDatabase.ToByteArray())
            .U64(3).U64((ulong)hashes.Length)
            .Bytes(Encoding.Unicode.GetBytes("dbx")).Bytes(hashes).ToArray();
        var v = Assert.IsType<EfiVariableEvent>(EventDecoder.Decode(Event(TcgEventType.EV_EFI_VARIABLE_DRIVER_CONFIG, data, 7)));
        Assert.Equal(SecureBootVariable.Dbx, v.Recognized);
        EfiSignatureList list = Assert.Single(v.SignatureLists!);
        Assert.Equal("EFI_CERT_SHA256", list.TypeName);
        Assert.Equal(2, list.Signatures.Count);
    }

    [Fact]
    public void Malformed_signature_list_is_reported_in_the_variable_not_thrown()
    {
        byte[] bad = new LogBuilder().Bytes(KnownGuids.EfiCertX509.ToByteArray()).U32(0xFFFFFFFF).U32(0).U32(16).ToArray();
        byte[] data = new LogBuilder()
            .Bytes(KnownGuids.EfiImageSecurityDatabase.ToByteArray())
            .U64(2).U64((ulong)bad.Length)
            .Bytes(Encoding.Unicode.GetBytes("db")).Bytes(bad).ToArray();
        var v = Assert.IsType<EfiVariableEvent>(EventDecoder.Decode(Event(TcgEventType.EV_EFI_VARIABLE_DRIVER_CONFIG, data, 7)));
        Assert.Null(v.SignatureLists);
        Assert.StartsWith("signature lists do not parse", v.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00000000", "normal")]
    [InlineData("01000000", "error")]
    [InlineData("ffffffff", "error")]
    [InlineData("5742434c", "windows (WBCL)")]
    [InlineData("02000000", "unknown")]
    public void Separator_values(string hex, string meaning)
    {
        var s = Assert.IsType<SeparatorEvent>(EventDecoder.Decode(Event(TcgEventType.EV_SEPARATOR, Convert.FromHexString(hex))));
        Assert.Equal(meaning, s.Meaning);
    }

    [Fact]
    public void Ipl_text_is_read_as_ascii_or_utf16()
    {
        var ascii = Assert.IsType<TextEvent>(EventDecoder.Decode(Event(TcgEventType.EV_IPL, "grub_cmd: linux /vmlinuz\0"u8.ToArray(), 8)));
        Assert.Equal(("grub_cmd: linux /vmlinuz", "ascii"), (ascii.Text, ascii.Encoding));
        var utf16 = Assert.IsType<TextEvent>(EventDecoder.Decode(Event(TcgEventType.EV_IPL, Encoding.Unicode.GetBytes("initrd=\\initrd.img\0"), 12)));
        Assert.Equal(("initrd=\\initrd.img", "utf-16"), (utf16.Text, utf16.Encoding));
    }

    [Fact]
    public void Gpt_event_lists_partitions()
    {
        var header = new LogBuilder().Bytes("EFI PART"u8).U32(0x10000).U32(92).U32(0).U32(0)
            .U64(1).U64(100).U64(34).U64(90).Bytes(Guid.Parse("11111111-2222-3333-4444-555555555555").ToByteArray())
            .U64(2).U32(128).U32(128).U32(0);
        Assert.Equal(92, header.Length);
        byte[] entry = new LogBuilder().Bytes(Guid.NewGuid().ToByteArray()).Bytes(Guid.Parse("aaaaaaaa-0000-0000-0000-000000000001").ToByteArray())
            .U64(34).U64(89).U64(0).Bytes(Encoding.Unicode.GetBytes("EFI".PadRight(36, '\0'))).ToArray();
        byte[] data = header.U64(1).Bytes(entry).ToArray();
        var gpt = Assert.IsType<GptEvent>(EventDecoder.Decode(Event(TcgEventType.EV_EFI_GPT_EVENT, data, 5)));
        GptPartition p = Assert.Single(gpt.Partitions);
        Assert.Equal(("EFI", 34ul, 89ul), (p.Name, p.StartingLba, p.EndingLba));
    }

    [Fact]
    public void Gpt_partition_count_beyond_the_data_is_undecodable()
    {
        byte[] data = new LogBuilder().Bytes("EFI PART"u8).Bytes(new byte[84 - 8]).U32(128).U32(0).U64(ulong.MaxValue).ToArray();
        Assert.IsType<UndecodableEvent>(EventDecoder.Decode(Event(TcgEventType.EV_EFI_GPT_EVENT, data, 5)));
    }
}
