using KcryptPush.Tpm.Sessions;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Commands;

/// <summary>TPM2_NV_UndefineSpace (TPM 2.0 Part 3 §31.4): handles authHandle (owner or platform, password), nvIndex.</summary>
public static class NvUndefineSpaceCommand
{
    public static void NvUndefineSpace(this TpmCommandChannel tpm, uint nvIndex, uint auth = TpmHandle.RhOwner) =>
        tpm.Execute(new TpmCommand(TpmCc.NvUndefineSpace, [auth, nvIndex], [TpmAuthorization.Password()], []));
}
