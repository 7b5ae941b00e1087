namespace KcryptPush.Attestation.Hashing;

/// <summary>PCR extend through OpenSSL's EVP with one context reused for every event of a bank
/// (see <see cref="OpenSslEvp"/> for why).</summary>
internal sealed class OpenSslPcrExtender : PcrExtender
{
    private readonly IntPtr _md;
    private readonly int _size;
    private IntPtr _ctx;

    public OpenSslPcrExtender(IntPtr md, int size)
    {
        _md = md;
        _size = size;
        _ctx = OpenSslEvp.NewContext();
    }

    ~OpenSslPcrExtender() => Dispose(false);

    public override int DigestSize => _size;

    public override string Implementation => "openssl-evp";

    protected override void Hash(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_ctx == IntPtr.Zero, this);
        OpenSslEvp.Hash(_ctx, _md, _size, data, destination);
    }

    protected override void Dispose(bool disposing)
    {
        IntPtr ctx = Interlocked.Exchange(ref _ctx, IntPtr.Zero);
        if (ctx != IntPtr.Zero)
        {
            OpenSslEvp.FreeContext(ctx);
        }
    }
}
