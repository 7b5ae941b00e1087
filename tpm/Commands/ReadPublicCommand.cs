using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Commands;

/// <summary>The answer of TPM2_ReadPublic.</summary>
public sealed record TpmReadPublicResult(TpmtPublic Public, byte[] Name, byte[] QualifiedName);

/// <summary>TPM2_ReadPublic (TPM 2.0 Part 3 §12.4): handle objectHandle → TPM2B_PUBLIC, TPM2B_NAME name, TPM2B_NAME qualifiedName.</summary>
public static class ReadPublicCommand
{
    public static TpmReadPublicResult ReadPublic(this TpmCommandChannel tpm, uint objectHandle)
    {
        TpmResponse response = tpm.Execute(new TpmCommand(TpmCc.ReadPublic, [objectHandle], [], []));
        var r = new TpmReader(response.Parameters);
        TpmtPublic pub = Tpm2bPublic.Read(ref r);
        byte[] name = r.ReadTpm2b("TPM2B_NAME name").ToArray();
        byte[] qualifiedName = r.ReadTpm2b("TPM2B_NAME qualifiedName").ToArray();
        r.EnsureAtEnd("TPM2_ReadPublic response");
        return new TpmReadPublicResult(pub, name, qualifiedName);
    }
}
