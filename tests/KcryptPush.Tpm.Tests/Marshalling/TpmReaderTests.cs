using KcryptPush.Tpm.Marshalling;

namespace KcryptPush.Tpm.Tests.Marshalling;

[Trait("Category", "Unit")]
public class TpmReaderTests
{
    [Fact]
    public void Reads_big_endian_integers_in_order()
    {
        byte[] data = Convert.FromHexString("01" + "0203" + "04050607" + "08090a0b0c0d0e0f");
        var r = new TpmReader(data);
        Assert.Equal(0x01, r.ReadUInt8());
        Assert.Equal(0x0203, r.ReadUInt16());
        Assert.Equal(0x04050607u, r.ReadUInt32());
        Assert.Equal(0x08090a0b0c0d0e0fUL, r.ReadUInt64());
        Assert.True(r.IsAtEnd);
        Assert.Equal(15, r.Position);
    }

    [Fact]
    public void ReadTpm2b_returns_the_contents_without_the_size()
    {
        byte[] data = Convert.FromHexString("0003aabbcc" + "ff");
        var r = new TpmReader(data);
        Assert.Equal(new byte[] { 0xaa, 0xbb, 0xcc }, r.ReadTpm2b().ToArray());
        Assert.Equal(1, r.Remaining);
    }

    [Theory]
    [InlineData("0005aabb", 0)]          // size larger than what remains
    [InlineData("00", 0)]                // size itself truncated
    [InlineData("ffffaabbccdd", 0)]      // absurd size
    public void ReadTpm2b_fails_without_moving(string hex, int expectedOffset)
    {
        byte[] data = Convert.FromHexString(hex);
        var r = new TpmReader(data);
        int before = r.Position;
        TpmFormatException? ex = null;
        try
        {
            r.ReadTpm2b("TPM2B_DIGEST");
        }
        catch (TpmFormatException e)
        {
            ex = e;
        }

        Assert.NotNull(ex);
        Assert.Equal(expectedOffset, ex!.Offset);
        Assert.Contains("TPM2B_DIGEST", ex.Expected);
        Assert.Equal(before, r.Position);
    }

    [Fact]
    public void ReadTpm2b_enforces_the_maximum_size()
    {
        byte[] data = Convert.FromHexString("0041" + new string('0', 0x41 * 2));
        var r = new TpmReader(data);
        TpmFormatException? ex = null;
        try
        {
            r.ReadTpm2b("TPM2B_DIGEST", 64);
        }
        catch (TpmFormatException e)
        {
            ex = e;
        }

        Assert.NotNull(ex);
        Assert.Equal(0, r.Position);
    }

    [Fact]
    public void Failed_integer_read_reports_offset_with_base_and_keeps_position()
    {
        byte[] data = { 1, 2, 3 };
        var r = new TpmReader(data, baseOffset: 100);
        r.ReadUInt8();
        TpmFormatException? ex = null;
        try
        {
            r.ReadUInt32("TPM_HANDLE");
        }
        catch (TpmFormatException e)
        {
            ex = e;
        }

        Assert.NotNull(ex);
        Assert.Equal(101, ex!.Offset);
        Assert.Equal(1, r.Position);
        Assert.Equal(0x0203, r.ReadUInt16());
    }

    [Fact]
    public void EnsureAtEnd_rejects_trailing_bytes()
    {
        byte[] data = { 1, 2 };
        var r = new TpmReader(data);
        r.ReadUInt8();
        bool threw = false;
        try
        {
            r.EnsureAtEnd("TPMS_ATTEST");
        }
        catch (TpmFormatException e)
        {
            threw = e.Offset == 1;
        }

        Assert.True(threw);
    }
}
