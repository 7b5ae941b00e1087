using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Sessions;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Commands;

/// <summary>
/// One command to frame (TPM 2.0 Part 3 §4.4 / Part 1 §18): its code, the handles of its handle
/// area, the authorizations for the handles that need them (which makes the tag
/// TPM_ST_SESSIONS), the marshalled parameters, and how many handles the response carries.
/// </summary>
public sealed record TpmCommand(
    TpmCc CommandCode,
    uint[] Handles,
    IReadOnlyList<TpmAuthorization> Authorizations,
    byte[] Parameters,
    int ResponseHandleCount = 0)
{
    /// <summary>The command's name for messages, e.g. "TPM2_Quote".</summary>
    public string Name => $"TPM2_{CommandCode}";

    /// <summary>
    /// The command bytes: tag, commandSize, commandCode, handles, then (with sessions)
    /// authorizationSize u32 and the TPMS_AUTH_COMMANDs, then the parameters.
    /// </summary>
    public byte[] ToBytes()
    {
        var w = new TpmWriter(64 + Parameters.Length);
        TpmSt tag = Authorizations.Count > 0 ? TpmSt.Sessions : TpmSt.NoSessions;
        using (w.BeginCommand((ushort)tag, (uint)CommandCode))
        {
            foreach (uint h in Handles)
            {
                w.WriteUInt32(h);
            }
            if (Authorizations.Count > 0)
            {
                using (w.BeginSize32())
                {
                    foreach (TpmAuthorization a in Authorizations)
                    {
                        a.WriteTo(w);
                    }
                }
            }
            w.WriteBytes(Parameters);
        }
        return w.ToArray();
    }

    /// <summary>Marshals parameters with a writer callback.</summary>
    public static byte[] Params(Action<TpmWriter> write)
    {
        var w = new TpmWriter();
        write(w);
        return w.ToArray();
    }
}
