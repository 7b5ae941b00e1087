using System.Security.Cryptography;
using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Tests.Structures;

[Trait("Category", "Unit")]
public class NameTests
{
    [Theory]
    [InlineData("gce-cos85-nonce9009")]
    [InlineData("gce-cos85-no-nonce")]
    public void Gce_AK_is_an_endorsement_primary_whose_qualified_name_is_the_qualifiedSigner(string prefix)
    {
        TpmtPublic ak = TpmtPublic.Parse(QuoteData.Read(prefix + ".ak_pub.tpmt_public"));
        byte[] name = ak.ComputeName();
        Assert.Equal(34, name.Length);
        Assert.Equal(new byte[] { 0x00, 0x0B }, name[..2]);
        Assert.Equal(SHA256.HashData(QuoteData.Read(prefix + ".ak_pub.tpmt_public")), name[2..]);

        // Part 1 §16: QN(primary) = nameAlg ‖ H(QN(hierarchy) ‖ Name), QN(hierarchy) = its handle.
        byte[] qualified = TpmName.Qualify(ak.NameAlg, TpmName.OfHandle(TpmHandle.RhEndorsement), name);
        foreach (string bank in new[] { "sha1", "sha256", "sha384" })
        {
            TpmsAttest attest = TpmsAttest.Parse(QuoteData.Read($"{prefix}.{bank}.tpms_attest"));
            Assert.Equal(attest.QualifiedSigner, qualified);
        }

        // Another hierarchy gives another qualified name: the check is not vacuous.
        Assert.NotEqual(qualified, TpmName.Qualify(ak.NameAlg, TpmName.OfHandle(TpmHandle.RhOwner), name));
    }

    [Fact]
    public void Windows_AK_Name_equals_the_objectName_its_certify_creation_reports()
    {
        TpmtPublic ak = TpmtPublic.Parse(QuoteData.Read("gcp-windows.ak_pub.tpmt_public"));
        TpmsAttest creation = TpmsAttest.Parse(QuoteData.Read("gcp-windows.ak_certify_creation.tpms_attest"));
        Assert.Equal(TpmSt.AttestCreation, creation.Type);
        Assert.Null(creation.Quote);

        // TPMS_CREATION_INFO (Part 2 §10.12.6): objectName TPM2B_NAME, creationHash TPM2B_DIGEST.
        var r = new TpmReader(creation.Attested);
        byte[] objectName = r.ReadTpm2b("objectName").ToArray();
        byte[] creationHash = r.ReadTpm2b("creationHash").ToArray();
        r.EnsureAtEnd("TPMS_CREATION_INFO");
        Assert.Equal(ak.ComputeName(), objectName);
        Assert.Equal(SHA256.HashData(QuoteData.Read("gcp-windows.ak_creation_data.tpms_creation_data")), creationHash);
    }

    [Fact]
    public void Name_changes_when_any_public_byte_changes()
    {
        byte[] bytes = QuoteData.Read("gce-cos85-nonce9009.ak_pub.tpmt_public");
        byte[] name = TpmtPublic.Parse(bytes).ComputeName();
        bytes[^1] ^= 1; // last modulus byte
        Assert.NotEqual(name, TpmtPublic.Parse(bytes).ComputeName());
    }

    [Fact]
    public void Nv_public_Name_is_nameAlg_and_hash_of_TPMS_NV_PUBLIC()
    {
        var nv = new TpmsNvPublic
        {
            NvIndex = 0x01C07F02, NameAlg = TpmAlgId.Sha384, Attributes = (TpmaNv)0x220F1008,
            AuthPolicy = new byte[48], DataSize = 50,
        };
        byte[] bytes = nv.GetBytes().ToArray();
        Assert.Equal("01C07F02" + "000C" + "220F1008" + "0030" + new string('0', 96) + "0032", Convert.ToHexString(bytes));
        Assert.Equal([0x00, 0x0C, .. SHA384.HashData(bytes)], nv.ComputeName());

        var w = new TpmWriter();
        nv.WriteTpm2b(w);
        var r = new TpmReader(w.WrittenSpan);
        TpmsNvPublic back = TpmsNvPublic.ReadTpm2b(ref r);
        Assert.Equal(nv.ComputeName(), back.ComputeName());
        Assert.Equal(TpmaNv.Written | TpmaNv.NoDA | TpmaNv.PolicyRead | TpmaNv.AuthRead | TpmaNv.OwnerRead
            | TpmaNv.PpRead | TpmaNv.WriteAll | TpmaNv.PolicyWrite, back.Attributes);
    }

    [Fact]
    public void Nv_public_with_a_non_NV_handle_is_rejected()
    {
        byte[] bytes = Convert.FromHexString("81000001" + "000B" + "00000000" + "0000" + "0010");
        TpmFormatException e = Assert.Throws<TpmFormatException>(() => TpmsNvPublic.Parse(bytes));
        Assert.Equal(0, e.Offset);
    }
}
