using System.Buffers.Binary;
using System.IO.Compression;

namespace KcryptPush.Tests;

/// <summary>
/// The pixels of an 8-bit RGB or RGBA PNG (what Chromium's screenshots are), decoded here: the IDAT
/// chunks inflated with <see cref="ZLibStream"/> and the scanline filters undone (System.Drawing is not
/// available on Linux). Enough to tell a rendered page from a blank one.
/// </summary>
public sealed class PngPixels
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private PngPixels(int width, int height, int channels, byte[] pixels)
    {
        Width = width;
        Height = height;
        Channels = channels;
        Pixels = pixels;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>3 (RGB) or 4 (RGBA).</summary>
    public int Channels { get; }

    /// <summary>Row by row, <see cref="Channels"/> bytes per pixel, no filter bytes.</summary>
    public byte[] Pixels { get; }

    /// <summary>Decodes <paramref name="png"/>; throws for anything but a non-interlaced 8-bit RGB/RGBA image.</summary>
    public static PngPixels Decode(byte[] png)
    {
        ArgumentNullException.ThrowIfNull(png);
        if (png.Length < Signature.Length || !png.AsSpan(0, Signature.Length).SequenceEqual(Signature))
        {
            throw new InvalidDataException("not a PNG (signature)");
        }

        int width = 0, height = 0, channels = 0;
        using var idat = new MemoryStream();
        int at = Signature.Length;
        while (at + 8 <= png.Length)
        {
            int length = checked((int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at)));
            string type = System.Text.Encoding.ASCII.GetString(png, at + 4, 4);
            ReadOnlySpan<byte> data = png.AsSpan(at + 8, length);
            switch (type)
            {
                case "IHDR":
                    width = (int)BinaryPrimitives.ReadUInt32BigEndian(data);
                    height = (int)BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
                    byte depth = data[8], colour = data[9], interlace = data[12];
                    channels = colour switch { 2 => 3, 6 => 4, _ => 0 };
                    if (depth != 8 || channels == 0 || interlace != 0)
                    {
                        throw new InvalidDataException($"only 8-bit RGB/RGBA non-interlaced PNGs are decoded here (depth {depth}, colour type {colour}, interlace {interlace})");
                    }

                    break;
                case "IDAT":
                    idat.Write(data);
                    break;
            }

            if (type == "IEND")
            {
                break;
            }

            at += 12 + length; // length, type, data, CRC
        }

        if (width <= 0 || height <= 0)
        {
            throw new InvalidDataException("PNG without IHDR");
        }

        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionMode.Decompress))
        {
            z.CopyTo(inflated);
        }

        return new PngPixels(width, height, channels, Unfilter(inflated.ToArray(), width, height, channels));
    }

    /// <summary>How many different colours the image has (alpha ignored).</summary>
    public int DistinctColours()
    {
        var seen = new HashSet<int>();
        for (int i = 0; i < Pixels.Length; i += Channels)
        {
            seen.Add(Pixels[i] << 16 | Pixels[i + 1] << 8 | Pixels[i + 2]);
        }

        return seen.Count;
    }

    /// <summary>How many pixels have exactly the colour <paramref name="r"/>, <paramref name="g"/>, <paramref name="b"/>.</summary>
    public int Count(byte r, byte g, byte b)
    {
        int n = 0;
        for (int i = 0; i < Pixels.Length; i += Channels)
        {
            if (Pixels[i] == r && Pixels[i + 1] == g && Pixels[i + 2] == b)
            {
                n++;
            }
        }

        return n;
    }

    /// <summary>The share of pixels (0..1) whose colour differs from the most common one (the background).</summary>
    public double ShareNotBackground()
    {
        var counts = new Dictionary<int, int>();
        for (int i = 0; i < Pixels.Length; i += Channels)
        {
            int c = Pixels[i] << 16 | Pixels[i + 1] << 8 | Pixels[i + 2];
            counts[c] = counts.GetValueOrDefault(c) + 1;
        }

        return 1.0 - ((double)counts.Values.Max() / (Width * Height));
    }

    private static byte[] Unfilter(byte[] raw, int width, int height, int bpp)
    {
        int stride = width * bpp;
        if (raw.Length < height * (stride + 1))
        {
            throw new InvalidDataException($"IDAT holds {raw.Length} bytes, {height} rows of {stride + 1} need {height * (stride + 1)}");
        }

        byte[] output = new byte[height * stride];
        for (int y = 0; y < height; y++)
        {
            byte filter = raw[y * (stride + 1)];
            ReadOnlySpan<byte> line = raw.AsSpan(y * (stride + 1) + 1, stride);
            Span<byte> row = output.AsSpan(y * stride, stride);
            ReadOnlySpan<byte> up = y == 0 ? new byte[stride] : output.AsSpan((y - 1) * stride, stride);
            for (int x = 0; x < stride; x++)
            {
                int a = x >= bpp ? row[x - bpp] : 0;
                int b = up[x];
                int c = x >= bpp ? up[x - bpp] : 0;
                row[x] = (byte)(line[x] + filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => throw new InvalidDataException($"unknown PNG filter {filter} in row {y}"),
                });
            }
        }

        return output;
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
