using KcryptPush.Tpm.Errors;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Commands;

/// <summary>
/// TPM2_FlushContext (TPM 2.0 Part 3 §28.4). The handle is a <em>parameter</em>, not in the handle
/// area, so the command has no authorization.
/// </summary>
public static class FlushContextCommand
{
    public static void FlushContext(this TpmCommandChannel tpm, uint handle) =>
        tpm.Execute(new TpmCommand(TpmCc.FlushContext, [], [], TpmCommand.Params(w => w.WriteUInt32(handle))));

    /// <summary>
    /// Flushes for cleanup paths: a handle the TPM already dropped (TPM_RC_HANDLE or
    /// TPM_RC_VALUE, e.g. a policy session ended by continueSession = 0) is not an error.
    /// </summary>
    public static void FlushQuietly(this TpmCommandChannel tpm, uint handle)
    {
        try
        {
            tpm.FlushContext(handle);
        }
        catch (TpmException e) when (e.Code is TpmRc.Handle or TpmRc.Value)
        {
        }
    }
}
