using KcryptPush.Tpm.Errors;
using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Sessions;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Commands;

/// <summary>
/// A parsed successful response (TPM 2.0 Part 3 §4.5): tag, responseSize, responseCode, the
/// response handles, then with TPM_ST_SESSIONS parameterSize u32, the parameters and one
/// TPMS_AUTH_RESPONSE per command session; with TPM_ST_NO_SESSIONS the parameters are the rest.
/// </summary>
public sealed record TpmResponse(uint[] Handles, byte[] Parameters, IReadOnlyList<TpmAuthResponse> AuthResponses)
{
    public const int HeaderSize = 10;

    /// <summary>Reads tag, size and code; returns the decoded code (success or not).</summary>
    /// <exception cref="TpmFormatException">The header is truncated or disagrees with the byte count.</exception>
    public static TpmResponseCode ReadCode(ReadOnlySpan<byte> response, out ushort tag)
    {
        var r = new TpmReader(response);
        tag = r.ReadUInt16("response tag");
        uint size = r.ReadUInt32("responseSize");
        if (size != response.Length)
        {
            throw r.FailAt(2, $"responseSize equal to the {response.Length} bytes received (got {size})");
        }
        return new TpmResponseCode(r.ReadUInt32("responseCode"));
    }

    /// <summary>Parses a successful response to a command that sent <paramref name="sessionCount"/> sessions.</summary>
    /// <exception cref="TpmFormatException">The body does not follow the framing.</exception>
    public static TpmResponse Parse(ReadOnlySpan<byte> response, int handleCount, int sessionCount)
    {
        ReadCode(response, out ushort tag);
        var r = new TpmReader(response);
        r.Skip(HeaderSize, "response header");
        uint[] handles = new uint[handleCount];
        for (int i = 0; i < handleCount; i++)
        {
            handles[i] = r.ReadUInt32("response handle");
        }
        if (tag == (ushort)TpmSt.NoSessions)
        {
            if (sessionCount != 0)
            {
                throw r.FailAt(0, $"tag TPM_ST_SESSIONS for a command with {sessionCount} sessions (got TPM_ST_NO_SESSIONS)");
            }
            return new TpmResponse(handles, r.RemainingSpan.ToArray(), []);
        }
        if (tag != (ushort)TpmSt.Sessions)
        {
            throw r.FailAt(0, $"response tag 0x8001 or 0x8002 (got 0x{tag:X4})");
        }
        uint parameterSize = r.ReadUInt32("parameterSize");
        if (parameterSize > r.Remaining)
        {
            throw r.Fail($"{parameterSize} parameter bytes (only {r.Remaining} remain)");
        }
        byte[] parameters = r.ReadBytes((int)parameterSize, "parameters").ToArray();
        var auths = new List<TpmAuthResponse>(sessionCount);
        for (int i = 0; i < sessionCount; i++)
        {
            auths.Add(TpmAuthResponse.Read(ref r));
        }
        r.EnsureAtEnd("the authorization area");
        return new TpmResponse(handles, parameters, auths);
    }
}
