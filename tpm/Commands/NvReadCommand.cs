using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Sessions;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Commands;

/// <summary>
/// TPM2_NV_Read (TPM 2.0 Part 3 §31.13): handles authHandle (the index itself for AUTHREAD, or
/// owner/platform) and nvIndex; parameters size u16, offset u16 → TPM2B_MAX_NV_BUFFER data.
/// One read may not exceed TPM_PT_NV_BUFFER_MAX (swtpm: 1024; larger gives TPM_RC_VALUE).
/// </summary>
public static class NvReadCommand
{
    /// <summary>Reads one chunk of at most TPM_PT_NV_BUFFER_MAX bytes.</summary>
    public static byte[] NvReadChunk(this TpmCommandChannel tpm, uint authHandle, uint nvIndex, ushort size, ushort offset, TpmAuthorization? auth = null)
    {
        TpmResponse response = tpm.Execute(new TpmCommand(
            TpmCc.NvRead,
            [authHandle, nvIndex],
            [auth ?? TpmAuthorization.Password()],
            TpmCommand.Params(w =>
            {
                w.WriteUInt16(size);
                w.WriteUInt16(offset);
            })));
        var r = new TpmReader(response.Parameters);
        byte[] data = r.ReadTpm2b("TPM2B_MAX_NV_BUFFER data").ToArray();
        r.EnsureAtEnd("TPM2_NV_Read response");
        if (data.Length != size)
        {
            throw new TpmFormatException(0, $"{size} bytes of NV data (got {data.Length})");
        }
        return data;
    }

    /// <summary>
    /// Reads <paramref name="length"/> bytes from offset 0 in chunks of <paramref name="chunkSize"/>
    /// (TPM_PT_NV_BUFFER_MAX).
    /// </summary>
    public static byte[] NvRead(this TpmCommandChannel tpm, uint authHandle, uint nvIndex, int length, int chunkSize, TpmAuthorization? auth = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, ushort.MaxValue);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        byte[] result = new byte[length];
        int offset = 0;
        while (offset < length)
        {
            int n = Math.Min(chunkSize, length - offset);
            byte[] chunk = tpm.NvReadChunk(authHandle, nvIndex, (ushort)n, (ushort)offset, auth);
            chunk.CopyTo(result, offset);
            offset += n;
        }
        return result;
    }
}
