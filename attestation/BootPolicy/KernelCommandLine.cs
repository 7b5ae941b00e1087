using System.Text;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.BootPolicy;

/// <summary>
/// A kernel command line measured as EV_IPL, recognised by its form and accepted only when its
/// logged digest, in every bank asked about, is the hash of the text it shows, so the text is what
/// was measured (replay binds digests, never data):
/// <list type="bullet">
/// <item>GRUB 2 on PCR 8: <c>kernel_cmdline: TEXT</c> (upstream) or <c>grub_kernel_cmdline TEXT</c>
/// (Fedora/RHEL), NUL-terminated ASCII; the digest is H(TEXT).</item>
/// <item>systemd-boot (PCR 12 since v251, PCR 8 before) and systemd-stub (PCR 12): the command line
/// in UTF-16LE; the digest is H(TEXT in UTF-16) with or without its UTF-16 NUL (newer systemd leaves
/// it out; older systemd-boot logged one byte short of the NUL it hashed).</item>
/// </list>
/// A UKI's built-in command line is its <c>.cmdline</c> PE section, measured on PCR 11 without the
/// text in the log: <see cref="BootConfigExpectation"/> pins it.
/// </summary>
/// <param name="Event">The EV_IPL event.</param>
/// <param name="Text">The command line it shows (and whose hash is its digest).</param>
/// <param name="Form">"grub" or "systemd".</param>
public sealed record KernelCommandLine(UntrustedEvent Event, string Text, string Form)
{
    /// <summary>PCR of GRUB's measurements of commands and command line (and systemd-boot's before v251).</summary>
    public const uint GrubPcr = 8;

    /// <summary>PCR of systemd-boot's and systemd-stub's command line (UAPI Linux TPM PCR registry).</summary>
    public const uint SystemdPcr = 12;

    private static readonly byte[][] GrubPrefixes = ["kernel_cmdline: "u8.ToArray(), "grub_kernel_cmdline "u8.ToArray()];

    /// <summary>The PCRs where a kernel command line is looked for.</summary>
    public static IReadOnlyList<int> Pcrs { get; } = [(int)GrubPcr, (int)SystemdPcr];

    /// <summary>
    /// Reads <paramref name="e"/> as a kernel command line whose digest covers its text in every bank of
    /// <paramref name="banks"/>; false for any other event, or when a digest is missing or covers other bytes.
    /// </summary>
    public static bool TryRead(UntrustedEvent e, IReadOnlyList<ushort> banks, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out KernelCommandLine? line)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(banks);
        line = null;
        if (e.EventType != TcgEventType.EV_IPL || e.PcrIndex is not (GrubPcr or SystemdPcr) || banks.Count == 0)
        {
            return false;
        }

        ReadOnlySpan<byte> data = e.Data.Span;
        if (e.PcrIndex == GrubPcr && GrubText(data) is { } grub)
        {
            // GRUB's command line always has the prefix: no UTF-16 reading of these bytes.
            if (Covers(e, banks, [grub]))
            {
                line = new KernelCommandLine(e, Encoding.ASCII.GetString(grub), "grub");
            }

            return line is not null;
        }

        if (Utf16Text(data) is { } text)
        {
            byte[] utf16 = Encoding.Unicode.GetBytes(text);
            if (Covers(e, banks, [utf16, [.. utf16, 0, 0]]))
            {
                line = new KernelCommandLine(e, text, "systemd");
            }
        }

        return line is not null;
    }

    /// <summary>The bytes GRUB hashed: what follows a known prefix, without the trailing NULs; null when the data has no prefix
    /// or the text is not printable ASCII.</summary>
    private static byte[]? GrubText(ReadOnlySpan<byte> data)
    {
        foreach (byte[] prefix in GrubPrefixes)
        {
            if (data.StartsWith(prefix))
            {
                ReadOnlySpan<byte> rest = data[prefix.Length..].TrimEnd((byte)0);
                foreach (byte b in rest)
                {
                    if (b is < 0x20 or >= 0x7F)
                    {
                        return null;
                    }
                }

                return rest.ToArray();
            }
        }

        return null;
    }

    /// <summary>UTF-16LE text of printable ASCII characters, trailing NULs and an odd last byte dropped; null otherwise.</summary>
    private static string? Utf16Text(ReadOnlySpan<byte> data)
    {
        int chars = data.Length / 2;
        while (chars > 0 && data[2 * chars - 2] == 0 && data[2 * chars - 1] == 0)
        {
            chars--;
        }

        if (chars == 0)
        {
            return null;
        }

        var sb = new StringBuilder(chars);
        for (int i = 0; i < chars; i++)
        {
            char c = (char)(data[2 * i] | (data[2 * i + 1] << 8));
            if (c is < ' ' or > '~')
            {
                return null;
            }

            sb.Append(c);
        }

        return sb.ToString();
    }

    /// <summary>True when, in every bank, the event has a digest equal to the hash of one of <paramref name="forms"/>.</summary>
    private static bool Covers(UntrustedEvent e, IReadOnlyList<ushort> banks, byte[][] forms)
    {
        Span<byte> computed = stackalloc byte[TpmAlgorithms.MaxDigestSize];
        foreach (ushort bank in banks)
        {
            if (!TcgAlgorithms.IsComputable(bank) || !e.TryGetDigest(bank, out ReadOnlyMemory<byte> logged))
            {
                return false;
            }

            bool covered = false;
            foreach (byte[] form in forms)
            {
                int n = TcgAlgorithms.Hash(bank, form, computed);
                if (computed[..n].SequenceEqual(logged.Span))
                {
                    covered = true;
                    break;
                }
            }

            if (!covered)
            {
                return false;
            }
        }

        return true;
    }
}
