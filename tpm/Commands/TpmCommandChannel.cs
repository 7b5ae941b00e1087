using KcryptPush.Tpm.Errors;
using KcryptPush.Tpm.Transport;

namespace KcryptPush.Tpm.Commands;

/// <summary>
/// Sends framed commands over a transport and turns every non-success response code into a
/// <see cref="TpmException"/> naming the decoded code. Warnings that mean "not run, try again"
/// (TPM_RC_YIELDED, TPM_RC_TESTING, TPM_RC_RETRY; Part 2 Table 16) are resent a few times.
/// The command files in this folder are extension methods on this type.
/// </summary>
public sealed class TpmCommandChannel : IDisposable
{
    private const int MaxAttempts = 5;

    private readonly ITpmTransport _transport;
    private readonly bool _ownsTransport;

    public TpmCommandChannel(ITpmTransport transport, bool ownsTransport = true)
    {
        _transport = transport;
        _ownsTransport = ownsTransport;
    }

    public string Description => _transport.Description;

    /// <summary>Sends <paramref name="command"/> and returns its parsed response.</summary>
    /// <exception cref="TpmException">The TPM answered with an error or a warning that persisted.</exception>
    /// <exception cref="TpmTransportException">The TPM could not be reached.</exception>
    /// <exception cref="Marshalling.TpmFormatException">The response is not well framed.</exception>
    public TpmResponse Execute(TpmCommand command)
    {
        byte[] bytes = command.ToBytes();
        for (int attempt = 1; ; attempt++)
        {
            byte[] response = _transport.Transmit(bytes);
            TpmResponseCode rc = TpmResponse.ReadCode(response, out _);
            if (rc.IsSuccess)
            {
                return TpmResponse.Parse(response, command.ResponseHandleCount, command.Authorizations.Count);
            }
            if (attempt < MaxAttempts && IsRetryable(rc))
            {
                Thread.Sleep(20 * attempt);
                continue;
            }
            throw new TpmException(command.Name, rc);
        }
    }

    /// <summary>The warnings after which resending the same command may succeed.</summary>
    public static bool IsRetryable(TpmResponseCode rc) =>
        rc.IsWarning && rc.Code is TpmRc.Yielded or TpmRc.Testing or TpmRc.Retry;

    public void Dispose()
    {
        if (_ownsTransport)
        {
            _transport.Dispose();
        }
    }
}
