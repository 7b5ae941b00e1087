using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Commands;

/// <summary>The answer of TPM2_NV_ReadPublic.</summary>
public sealed record TpmNvReadPublicResult(TpmsNvPublic Public, byte[] Name);

/// <summary>TPM2_NV_ReadPublic (TPM 2.0 Part 3 §31.6): handle nvIndex → TPM2B_NV_PUBLIC, TPM2B_NAME nvName.</summary>
public static class NvReadPublicCommand
{
    public static TpmNvReadPublicResult NvReadPublic(this TpmCommandChannel tpm, uint nvIndex)
    {
        TpmResponse response = tpm.Execute(new TpmCommand(TpmCc.NvReadPublic, [nvIndex], [], []));
        var r = new TpmReader(response.Parameters);
        TpmsNvPublic pub = TpmsNvPublic.ReadTpm2b(ref r);
        byte[] name = r.ReadTpm2b("TPM2B_NAME nvName").ToArray();
        r.EnsureAtEnd("TPM2_NV_ReadPublic response");
        return new TpmNvReadPublicResult(pub, name);
    }
}
