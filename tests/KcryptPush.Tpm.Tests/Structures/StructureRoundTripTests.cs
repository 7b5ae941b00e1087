using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Tests.Structures;

[Trait("Category", "Unit")]
public class StructureRoundTripTests
{
    public static TheoryData<string> PublicFiles() => new(QuoteData.Files("*.tpmt_public"));

    public static TheoryData<string> AttestFiles() => new(QuoteData.Files("*.tpms_attest"));

    public static TheoryData<string> SignatureFiles() => new(QuoteData.Files("*.tpmt_signature"));

    [Theory]
    [MemberData(nameof(PublicFiles))]
    public void Real_TPMT_PUBLIC_round_trips_byte_for_byte(string file)
    {
        byte[] bytes = File.ReadAllBytes(file);
        TpmtPublic p = TpmtPublic.Parse(bytes);
        Assert.Equal(bytes, p.ToArray());

        // A rebuilt copy (not the cached input bytes) marshals identically.
        var rebuilt = new TpmtPublic
        {
            Type = p.Type, NameAlg = p.NameAlg, ObjectAttributes = p.ObjectAttributes, AuthPolicy = p.AuthPolicy,
            Symmetric = p.Symmetric, Scheme = p.Scheme, KeyBits = p.KeyBits, Exponent = p.Exponent,
            Curve = p.Curve, Kdf = p.Kdf, Unique = p.Unique, UniqueX = p.UniqueX, UniqueY = p.UniqueY,
        };
        Assert.Equal(bytes, rebuilt.ToArray());
        Assert.Equal(p.ComputeName(), rebuilt.ComputeName());
    }

    [Theory]
    [MemberData(nameof(AttestFiles))]
    public void Real_TPMS_ATTEST_round_trips(string file)
    {
        byte[] bytes = File.ReadAllBytes(file);
        TpmsAttest a = TpmsAttest.Parse(bytes);
        Assert.Equal(TpmsAttest.TpmGeneratedValue, a.Magic);
        Assert.Equal(bytes, a.ToArray());
        Assert.Equal(a.Type == TpmSt.AttestQuote, a.Quote is not null);
    }

    [Theory]
    [MemberData(nameof(SignatureFiles))]
    public void Real_TPMT_SIGNATURE_round_trips(string file)
    {
        byte[] bytes = File.ReadAllBytes(file);
        TpmtSignature s = TpmtSignature.Parse(bytes);
        Assert.Equal(TpmAlgId.RsaSsa, s.SigAlg);
        Assert.Equal(256, s.Signature.Length);
        Assert.Equal(bytes, s.ToArray());
    }

    [Fact]
    public void Tpm2b_public_wraps_and_unwraps()
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(RepoPaths.Quotes, "gce-cos85-nonce9009.ak_pub.tpmt_public"));
        TpmtPublic p = TpmtPublic.Parse(bytes);
        var w = new TpmWriter();
        Tpm2bPublic.Write(w, p);
        Assert.Equal(bytes.Length + 2, w.Length);
        var r = new TpmReader(w.WrittenSpan);
        TpmtPublic back = Tpm2bPublic.Read(ref r);
        Assert.True(r.IsAtEnd);
        Assert.Equal(bytes, back.ToArray());
    }

    [Fact]
    public void Ecdsa_signature_round_trips()
    {
        var sig = new TpmtSignature { SigAlg = TpmAlgId.EcDsa, Hash = TpmAlgId.Sha256, R = [1, 2, 3], S = [4, 5] };
        byte[] bytes = sig.ToArray();
        Assert.Equal("0018" + "000B" + "0003010203" + "00020405", Convert.ToHexString(bytes));
        TpmtSignature back = TpmtSignature.Parse(bytes);
        Assert.Equal(sig.R, back.R);
        Assert.Equal(sig.S, back.S);
        Assert.Equal(TpmAlgId.Sha256, back.Hash);
    }

    [Fact]
    public void Null_signature_is_two_bytes()
    {
        TpmtSignature s = TpmtSignature.Parse(Convert.FromHexString("0010"));
        Assert.Equal(TpmAlgId.Null, s.SigAlg);
        Assert.Equal("0010", Convert.ToHexString(s.ToArray()));
    }

    [Fact]
    public void Digest_lists_round_trip()
    {
        var list = new TpmlDigest([new byte[32], [1, 2, 3]]);
        var w = new TpmWriter();
        list.Write(w);
        Assert.Equal("00000002" + "0020" + new string('0', 64) + "0003010203", Convert.ToHexString(w.ToArray()));
        var r = new TpmReader(w.WrittenSpan);
        TpmlDigest back = TpmlDigest.Read(ref r);
        Assert.Equal(list.Digests, back.Digests);

        var values = new TpmlDigestValues([new TpmtHa(TpmAlgId.Sha1, new byte[20]), new TpmtHa(TpmAlgId.Sha256, Enumerable.Repeat((byte)7, 32).ToArray())]);
        w.Clear();
        values.Write(w);
        Assert.Equal(4 + 22 + 34, w.Length);
        r = new TpmReader(w.WrittenSpan);
        TpmlDigestValues v = TpmlDigestValues.Read(ref r);
        Assert.Equal(TpmAlgId.Sha256, v.Digests[1].HashAlg);
        Assert.Equal(values.Digests[1].Digest, v.Digests[1].Digest);
    }

    [Theory]
    [InlineData("00000009")]                // TPML_DIGEST count 9 > 8
    [InlineData("ffffffff")]                // absurd count
    [InlineData("000000010041")]            // TPM2B_DIGEST of 65 bytes
    public void Digest_list_absurd_sizes_are_rejected(string hex)
    {
        byte[] data = Convert.FromHexString(hex);
        Assert.Throws<TpmFormatException>(() =>
        {
            var r = new TpmReader(data);
            TpmlDigest.Read(ref r);
        });
    }

    [Fact]
    public void Clock_info_round_trips_and_rejects_bad_yes_no()
    {
        var c = new TpmsClockInfo(0x0102030405060708, 10, 2, true);
        var w = new TpmWriter();
        c.Write(w);
        Assert.Equal("0102030405060708" + "0000000A" + "00000002" + "01", Convert.ToHexString(w.ToArray()));
        var r = new TpmReader(w.WrittenSpan);
        Assert.Equal(c, TpmsClockInfo.Read(ref r));

        byte[] bad = w.ToArray();
        bad[^1] = 2;
        TpmFormatException ex = Assert.Throws<TpmFormatException>(() =>
        {
            var rr = new TpmReader(bad);
            TpmsClockInfo.Read(ref rr);
        });
        Assert.Equal(16, ex.Offset);
    }
}
