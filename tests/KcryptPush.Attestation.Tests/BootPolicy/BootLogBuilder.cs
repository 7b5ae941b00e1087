using System.Security.Cryptography;
using System.Text;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.EventLog.Decoding;
using KcryptPush.Attestation.Tests.EventLog;

namespace KcryptPush.Attestation.Tests.BootPolicy;

/// <summary>Synthetic crypto-agile boot logs (SHA-1 + SHA-256) with the events a measured-boot policy reads.</summary>
internal sealed class BootLogBuilder
{
    private readonly LogBuilder _log = new LogBuilder().SpecIdHeader();

    /// <summary>An event whose digests are H(<paramref name="measured"/>), or H(data) when null.</summary>
    public BootLogBuilder Event(uint pcr, TcgEventType type, byte[] data, byte[]? measured = null)
    {
        byte[] m = measured ?? data;
        _log.U32(pcr).U32((uint)type).U32(2)
            .U16(0x0004).Bytes(SHA1.HashData(m))
            .U16(0x000B).Bytes(SHA256.HashData(m))
            .U32((uint)data.Length).Bytes(data);
        return this;
    }

    /// <summary>UEFI_VARIABLE_DATA (PFP §10.4.4): GUID, UnicodeNameLength, VariableDataLength, name, data.</summary>
    public static byte[] VariableData(Guid vendor, string name, byte[] value) =>
        new LogBuilder().Bytes(vendor.ToByteArray()).U64((ulong)name.Length).U64((ulong)value.Length)
            .Bytes(Encoding.Unicode.GetBytes(name)).Bytes(value).ToArray();

    /// <summary>EV_EFI_VARIABLE_DRIVER_CONFIG on PCR 7, digest H(UEFI_VARIABLE_DATA) unless <paramref name="measured"/> is given.</summary>
    public BootLogBuilder Variable(Guid vendor, string name, byte[] value, byte[]? measured = null) =>
        Event(7, TcgEventType.EV_EFI_VARIABLE_DRIVER_CONFIG, VariableData(vendor, name, value), measured);

    /// <summary>SecureBoot with one byte, or with no data when null.</summary>
    public BootLogBuilder SecureBoot(byte? value) =>
        Variable(KnownGuids.EfiGlobalVariable, "SecureBoot", value is byte b ? [b] : []);

    public BootLogBuilder Pk(string content) => Variable(KnownGuids.EfiGlobalVariable, "PK", Encoding.ASCII.GetBytes(content));

    public BootLogBuilder Kek(string content) => Variable(KnownGuids.EfiGlobalVariable, "KEK", Encoding.ASCII.GetBytes(content));

    public BootLogBuilder Db(string content) => Variable(KnownGuids.EfiImageSecurityDatabase, "db", Encoding.ASCII.GetBytes(content));

    public BootLogBuilder Dbx(string content) => Variable(KnownGuids.EfiImageSecurityDatabase, "dbx", Encoding.ASCII.GetBytes(content));

    /// <summary>EV_EFI_BOOT_SERVICES_APPLICATION on PCR 4 whose digest stands for the image <paramref name="binary"/>.</summary>
    public BootLogBuilder BootApp(string binary) =>
        Event(4, TcgEventType.EV_EFI_BOOT_SERVICES_APPLICATION, ImageLoad(), Encoding.ASCII.GetBytes(binary));

    /// <summary>EV_SEPARATOR with UINT32 <paramref name="value"/>.</summary>
    public BootLogBuilder Separator(uint pcr, uint value = 0) =>
        Event(pcr, TcgEventType.EV_SEPARATOR, new LogBuilder().U32(value).ToArray());

    public BootLogBuilder Ipl(uint pcr, string text) => Event(pcr, TcgEventType.EV_IPL, Encoding.ASCII.GetBytes(text + "\0"));

    /// <summary>As GRUB 2 measures on PCR 8: data "<paramref name="prefix"/><paramref name="text"/>\0", digest H(<paramref name="text"/>).</summary>
    public BootLogBuilder Grub(string prefix, string text) =>
        Event(8, TcgEventType.EV_IPL, Encoding.ASCII.GetBytes(prefix + text + "\0"), Encoding.ASCII.GetBytes(text));

    /// <summary>As systemd-boot/stub measure on PCR 12: data and digest the UTF-16LE command line with its NUL.</summary>
    public BootLogBuilder SystemdCommandLine(string text, uint pcr = 12) =>
        Event(pcr, TcgEventType.EV_IPL, Encoding.Unicode.GetBytes(text + "\0"));

    public byte[] Build() => _log.ToArray();

    public ParsedEventLog Parse() => EventLogParser.Parse(Build());

    /// <summary>A Secure Boot log: SecureBoot=1, PK/KEK/db/dbx, separators 0-7, shim, grub, kernel, and GRUB's
    /// command and kernel command line on PCR 8 (EV_IPL, digests over the text after the prefix).</summary>
    public static BootLogBuilder Typical(byte secureBoot = 1, string kernel = "vmlinuz-6.1", string cmdline = "root=/dev/sda1")
    {
        var b = new BootLogBuilder().SecureBoot(secureBoot).Pk("pk-cert").Kek("kek-cert").Db("db-certs").Dbx("dbx-hashes").Separator(7);
        for (uint pcr = 0; pcr <= 6; pcr++)
        {
            b.Separator(pcr);
        }
        return b.BootApp("shimx64.efi").BootApp("grubx64.efi").BootApp(kernel)
            .Grub("grub_cmd: ", "linux /vmlinuz").Grub("kernel_cmdline: ", cmdline);
    }

    /// <summary>UEFI_IMAGE_LOAD_EVENT: location, length, link-time address, device path length, and an end-of-path node.</summary>
    private static byte[] ImageLoad() =>
        new LogBuilder().U64(0x1000).U64(0x2000).U64(0).U64(4).U8(0x7F).U8(0xFF).U16(4).ToArray();
}
