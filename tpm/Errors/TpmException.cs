using System.Globalization;

namespace KcryptPush.Tpm.Errors;

/// <summary>
/// A TPM command answered with a response code other than TPM_RC_SUCCESS. The message names the
/// decoded code and the item it points at, e.g. "TPM2_PolicySecret failed: TPM_RC_POLICY_FAIL
/// (session 2) [0x00000A9D]".
/// </summary>
public sealed class TpmException : Exception
{
    public TpmException(string command, TpmResponseCode responseCode)
        : base(string.Create(CultureInfo.InvariantCulture, $"{command} failed: {responseCode} [0x{responseCode.Raw:X8}]"))
    {
        Command = command;
        ResponseCode = responseCode;
    }

    public TpmException()
        : this("TPM command", new TpmResponseCode((uint)TpmRc.Failure))
    {
    }

    public TpmException(string message)
        : base(message)
    {
        Command = "TPM command";
        ResponseCode = new TpmResponseCode((uint)TpmRc.Failure);
    }

    public TpmException(string message, Exception innerException)
        : base(message, innerException)
    {
        Command = "TPM command";
        ResponseCode = new TpmResponseCode((uint)TpmRc.Failure);
    }

    /// <summary>The command that failed, e.g. "TPM2_Quote".</summary>
    public string Command { get; }

    public TpmResponseCode ResponseCode { get; }

    /// <summary>The canonical code (numbers removed), for <c>when (e.Code == TpmRc.Integrity)</c>.</summary>
    public TpmRc Code => ResponseCode.Code;
}
