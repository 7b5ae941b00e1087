using KcryptPush.Tpm.Marshalling;

namespace KcryptPush.Tpm.Tests.Marshalling;

[Trait("Category", "Unit")]
public class TpmWriterTests
{
    [Fact]
    public void Writes_big_endian_integers()
    {
        var w = new TpmWriter(1);
        w.WriteUInt8(1);
        w.WriteUInt16(0x0203);
        w.WriteUInt32(0x04050607);
        w.WriteUInt64(0x08090a0b0c0d0e0f);
        Assert.Equal("0102030405060708090A0B0C0D0E0F", Convert.ToHexString(w.ToArray()));
    }

    [Fact]
    public void Command_header_size_covers_the_whole_command()
    {
        // TPM2_GetRandom(16): 8001 0000000c 0000017b 0010 (TPM 2.0 Part 3 §16.1).
        var w = new TpmWriter();
        using (w.BeginCommand(0x8001, 0x17B))
        {
            w.WriteUInt16(16);
        }

        Assert.Equal("80010000000C0000017B0010", Convert.ToHexString(w.ToArray()));
    }

    [Fact]
    public void Nested_size_scopes_are_back_patched()
    {
        var w = new TpmWriter();
        using (w.BeginCommand(0x8002, 0x131))
        {
            w.WriteUInt32(0x4000000B);
            using (w.BeginSize32())
            {
                w.WriteUInt32(0x40000009);
                w.WriteTpm2b(ReadOnlySpan<byte>.Empty);
                w.WriteUInt8(0);
                w.WriteTpm2b(ReadOnlySpan<byte>.Empty);
            }

            using (w.BeginTpm2b())
            {
                w.WriteTpm2b(ReadOnlySpan<byte>.Empty);
                w.WriteTpm2b(ReadOnlySpan<byte>.Empty);
            }
        }

        Assert.Equal(
            "8002" + "00000021" + "00000131" + "4000000B" + "00000009" + "40000009" + "0000" + "00" + "0000" + "0004" + "0000" + "0000",
            Convert.ToHexString(w.ToArray()));
    }

    [Fact]
    public void Written_bytes_read_back()
    {
        var w = new TpmWriter();
        w.WriteTpm2b(new byte[] { 9, 8, 7 });
        w.WriteUInt32(42);
        var r = new TpmReader(w.WrittenSpan);
        Assert.Equal(new byte[] { 9, 8, 7 }, r.ReadTpm2b().ToArray());
        Assert.Equal(42u, r.ReadUInt32());
        Assert.True(r.IsAtEnd);
    }

    [Fact]
    public void Oversized_tpm2b_is_rejected()
    {
        var w = new TpmWriter();
        Assert.Throws<ArgumentException>(() => w.WriteTpm2b(new byte[70000]));
        Assert.Throws<InvalidOperationException>(() =>
        {
            using (w.BeginTpm2b())
            {
                w.WriteBytes(new byte[70000]);
            }
        });
    }
}
