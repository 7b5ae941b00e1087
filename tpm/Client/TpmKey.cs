using KcryptPush.Tpm.Commands;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Client;

/// <summary>
/// A key the TPM holds: its handle, public area and Name. Disposing flushes a transient key
/// (0x80xxxxxx) and leaves a persistent one (0x81xxxxxx) in place.
/// </summary>
public sealed class TpmKey : IDisposable
{
    private readonly TpmCommandChannel _tpm;
    private bool _disposed;

    internal TpmKey(TpmCommandChannel tpm, uint handle, TpmtPublic publicArea, byte[] name)
    {
        _tpm = tpm;
        Handle = handle;
        Public = publicArea;
        Name = name;
    }

    public uint Handle { get; }

    /// <summary>TPMT_PUBLIC as the TPM returned it (unique filled in).</summary>
    public TpmtPublic Public { get; }

    /// <summary>nameAlg ‖ H(TPMT_PUBLIC), what MakeCredential binds a credential to.</summary>
    public byte[] Name { get; }

    public bool IsPersistent => TpmHandle.HandleType(Handle) == 0x81;

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            if (!IsPersistent)
            {
                _tpm.FlushQuietly(Handle);
            }
        }
    }
}
