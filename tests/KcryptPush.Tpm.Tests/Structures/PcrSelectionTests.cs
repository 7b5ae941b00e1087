using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Tests.Structures;

[Trait("Category", "Unit")]
public class PcrSelectionTests
{
    [Theory]
    [InlineData(new[] { 0, 3, 16 }, "090001")]
    [InlineData(new[] { 19 }, "000008")] // byte 2, bit 3 (TPM-FACTS §5 prints 00 08 00: a slip, see 090001 = 0,3,16)
    [InlineData(new int[0], "000000")]
    [InlineData(new[] { 31 }, "00000080")]
    public void Bitmap_is_LSB_first_with_at_least_three_bytes(int[] pcrs, string bitmapHex)
    {
        TpmsPcrSelection s = TpmsPcrSelection.FromIndexes(TpmAlgId.Sha256, pcrs);
        Assert.Equal(bitmapHex, Convert.ToHexStringLower(s.PcrSelect));
        Assert.Equal(pcrs.Order().ToArray(), s.GetIndexes());
        Assert.Equal(pcrs.Length, s.Count);
    }

    [Fact]
    public void Indexes_come_back_ascending_whatever_the_input_order()
    {
        TpmsPcrSelection s = TpmsPcrSelection.FromIndexes(TpmAlgId.Sha1, [23, 7, 0, 15]);
        Assert.Equal(new[] { 0, 7, 15, 23 }, s.GetIndexes());
        Assert.True(s.IsSelected(7));
        Assert.False(s.IsSelected(8));
        Assert.False(s.IsSelected(300));
    }

    [Fact]
    public void List_round_trips_and_compares_by_content()
    {
        TpmlPcrSelection list = TpmlPcrSelection.Create((TpmAlgId.Sha256, [0, 3, 16]), (TpmAlgId.Sha1, [16]));
        var w = new TpmWriter();
        list.Write(w);
        Assert.Equal("00000002" + "000B03090001" + "0004030000" + "01", Convert.ToHexString(w.ToArray()));
        var r = new TpmReader(w.WrittenSpan);
        TpmlPcrSelection back = TpmlPcrSelection.Read(ref r);
        Assert.True(back.SelectsSame(list));
        Assert.Equal(4, back.TotalCount);

        // A longer bitmap with the same PCRs selects the same; another order or bank does not.
        var wide = new TpmlPcrSelection([new TpmsPcrSelection(TpmAlgId.Sha256, Convert.FromHexString("09000100")),
            TpmsPcrSelection.FromIndexes(TpmAlgId.Sha1, [16])]);
        Assert.True(wide.SelectsSame(list));
        Assert.False(TpmlPcrSelection.Create((TpmAlgId.Sha1, [16]), (TpmAlgId.Sha256, [0, 3, 16])).SelectsSame(list));
        Assert.False(TpmlPcrSelection.Create((TpmAlgId.Sha256, [0, 3])).SelectsSame(list));
    }

    [Theory]
    [InlineData("00000011", 0)]                    // 17 banks > HASH_COUNT
    [InlineData("ffffffff", 0)]                    // absurd count
    [InlineData("00000001" + "000B" + "21", 6)]    // sizeofSelect 33 > 32
    [InlineData("00000001" + "0001" + "03", 4)]    // bank is RSA, not a hash
    [InlineData("00000001" + "000B" + "03ff", 7)]  // bitmap truncated
    public void Absurd_selections_are_rejected_at_their_offset(string hex, int offset)
    {
        byte[] data = Convert.FromHexString(hex);
        TpmFormatException e = Assert.Throws<TpmFormatException>(() =>
        {
            var r = new TpmReader(data);
            TpmlPcrSelection.Read(ref r);
        });
        Assert.Equal(offset, e.Offset);
    }
}
