using KcryptPush.Tpm.Errors;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Commands;

/// <summary>TPM_SU (TPM 2.0 Part 2 Table 20).</summary>
public enum TpmStartupType : ushort
{
    Clear = 0x0000,
    State = 0x0001,
}

/// <summary>TPM2_Startup (TPM 2.0 Part 3 §9.3).</summary>
public static class StartupCommand
{
    /// <summary>
    /// Sends TPM2_Startup. Returns false when the TPM was already started (it answers
    /// TPM_RC_INITIALIZE then; LIVE on swtpm), true when this call started it.
    /// </summary>
    public static bool Startup(this TpmCommandChannel tpm, TpmStartupType type = TpmStartupType.Clear)
    {
        try
        {
            tpm.Execute(new TpmCommand(TpmCc.Startup, [], [], TpmCommand.Params(w => w.WriteUInt16((ushort)type))));
            return true;
        }
        catch (TpmException e) when (e.Code == TpmRc.Initialize)
        {
            return false;
        }
    }
}
