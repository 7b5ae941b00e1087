using System.Text;

namespace KcryptPush.Attestation.EventLog.Decoding;

/// <summary>Turns untrusted event bytes into printable text.</summary>
public static class EventText
{
    /// <summary>Longest text we keep from one field.</summary>
    public const int MaxChars = 4096;

    /// <summary>ASCII/Latin-1 text, trailing NULs removed, other control characters escaped.</summary>
    public static string Ascii(ReadOnlySpan<byte> bytes)
    {
        bytes = bytes.TrimEnd((byte)0);
        var sb = new StringBuilder(Math.Min(bytes.Length, MaxChars));
        foreach (byte b in bytes)
        {
            if (sb.Length >= MaxChars) { sb.Append("..."); break; }
            AppendChar(sb, (char)b);
        }
        return sb.ToString();
    }

    /// <summary>UTF-16LE text, trailing NULs removed, control characters escaped.</summary>
    public static string Utf16(ReadOnlySpan<byte> bytes)
    {
        int chars = bytes.Length / 2;
        while (chars > 0 && bytes[2 * chars - 2] == 0 && bytes[2 * chars - 1] == 0)
        {
            chars--;
        }
        string raw = Encoding.Unicode.GetString(bytes.Slice(0, Math.Min(chars, MaxChars) * 2));
        var sb = new StringBuilder(raw.Length);
        foreach (char c in raw)
        {
            AppendChar(sb, c);
        }
        if (chars > MaxChars) sb.Append("...");
        return sb.ToString();
    }

    /// <summary>True when the bytes look like UTF-16LE text: even length and every high byte zero for ASCII-range text.</summary>
    public static bool LooksUtf16(ReadOnlySpan<byte> bytes)
    {
        // Odd lengths occur: systemd-boot logs a UTF-16 command line with a stray last byte.
        if (bytes.Length < 2)
        {
            return false;
        }
        int zeroHigh = 0;
        for (int i = 1; i < bytes.Length; i += 2)
        {
            if (bytes[i] == 0) zeroHigh++;
        }
        return zeroHigh * 4 >= bytes.Length / 2 * 3 && bytes[0] != 0;
    }

    /// <summary>True when at least 3/4 of the bytes are printable ASCII (or trailing NULs).</summary>
    public static bool LooksAscii(ReadOnlySpan<byte> bytes)
    {
        bytes = bytes.TrimEnd((byte)0);
        int printable = 0;
        foreach (byte b in bytes)
        {
            if (b is >= 0x20 and < 0x7F or (byte)'\t' or (byte)'\n' or (byte)'\r') printable++;
        }
        return printable * 4 >= bytes.Length * 3;
    }

    /// <summary>Text in whichever encoding the bytes look like, or a hex preview when they are not text.</summary>
    public static DecodedEvent Guess(ReadOnlySpan<byte> bytes) =>
        LooksUtf16(bytes) ? new TextEvent(Utf16(bytes), "utf-16")
        : LooksAscii(bytes) ? new TextEvent(Ascii(bytes), "ascii")
        : new RawEvent(bytes.Length, HexPreview(bytes));

    /// <summary>Up to 64 bytes of lowercase hex.</summary>
    public static string HexPreview(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes.Slice(0, Math.Min(bytes.Length, 64)));

    private static void AppendChar(StringBuilder sb, char c)
    {
        if (c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0)) sb.Append($"\\x{(int)c:x2}");
        else sb.Append(c);
    }
}
