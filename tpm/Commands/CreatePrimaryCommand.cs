using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Sessions;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Commands;

/// <summary>A key loaded by TPM2_CreatePrimary: its transient handle, public area and Name.</summary>
public sealed record TpmLoadedKey(uint Handle, TpmtPublic Public, byte[] Name);

/// <summary>
/// TPM2_CreatePrimary (TPM 2.0 Part 3 §24.1): handle primaryHandle (a hierarchy, password);
/// parameters TPM2B_SENSITIVE_CREATE inSensitive (empty auth and data: <c>0004 0000 0000</c>),
/// TPM2B_PUBLIC inPublic, TPM2B_DATA outsideInfo, TPML_PCR_SELECTION creationPCR (count 0) →
/// objectHandle; outPublic, creationData, creationHash, creationTicket, name.
/// </summary>
public static class CreatePrimaryCommand
{
    public static TpmLoadedKey CreatePrimary(this TpmCommandChannel tpm, uint hierarchy, TpmtPublic template, ReadOnlySpan<byte> hierarchyAuth = default)
    {
        ArgumentNullException.ThrowIfNull(template);
        TpmResponse response = tpm.Execute(new TpmCommand(
            TpmCc.CreatePrimary,
            [hierarchy],
            [TpmAuthorization.Password(hierarchyAuth)],
            TpmCommand.Params(w =>
            {
                using (w.BeginTpm2b())
                {
                    w.WriteTpm2b([]); // userAuth
                    w.WriteTpm2b([]); // data
                }
                Tpm2bPublic.Write(w, template);
                w.WriteTpm2b([]); // outsideInfo
                TpmlPcrSelection.Empty.Write(w);
            }),
            ResponseHandleCount: 1));
        uint handle = response.Handles[0];
        try
        {
            var r = new TpmReader(response.Parameters);
            TpmtPublic outPublic = Tpm2bPublic.Read(ref r);
            r.ReadTpm2b("TPM2B_CREATION_DATA creationData");
            r.ReadTpm2b("TPM2B_DIGEST creationHash");
            r.ReadUInt16("TPMT_TK_CREATION.tag");
            r.ReadUInt32("TPMT_TK_CREATION.hierarchy");
            r.ReadTpm2b("TPMT_TK_CREATION.digest");
            byte[] name = r.ReadTpm2b("TPM2B_NAME name").ToArray();
            r.EnsureAtEnd("TPM2_CreatePrimary response");
            return new TpmLoadedKey(handle, outPublic, name);
        }
        catch
        {
            // The key is loaded even when we cannot read the answer: never leak it.
            tpm.FlushQuietly(handle);
            throw;
        }
    }
}
