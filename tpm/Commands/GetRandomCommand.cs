using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Commands;

/// <summary>TPM2_GetRandom (TPM 2.0 Part 3 §16.1): bytesRequested u16 → TPM2B_DIGEST randomBytes.</summary>
public static class GetRandomCommand
{
    /// <summary>Returns up to <paramref name="count"/> random bytes (a TPM may return fewer than asked).</summary>
    public static byte[] GetRandom(this TpmCommandChannel tpm, ushort count)
    {
        TpmResponse response = tpm.Execute(new TpmCommand(TpmCc.GetRandom, [], [], TpmCommand.Params(w => w.WriteUInt16(count))));
        var r = new TpmReader(response.Parameters);
        byte[] bytes = r.ReadTpm2b("TPM2B_DIGEST randomBytes").ToArray();
        r.EnsureAtEnd("TPM2_GetRandom response");
        return bytes;
    }
}
