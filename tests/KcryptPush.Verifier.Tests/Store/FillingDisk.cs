using LiteDB;

namespace KcryptPush.Verifier.Tests.Store;

/// <summary>
/// A LiteDB file whose writes can be made to fail as on a full disk (IOException, ENOSPC's message):
/// opens engines over the file and its -log through streams that check <see cref="Full"/> on every write,
/// for the store's reopen to be tested without mounting a file system.
/// </summary>
internal sealed class FillingDisk(string path) : IDisposable
{
    private readonly List<Stream> _opened = [];

    /// <summary>Writes (and flushes) fail while set.</summary>
    public volatile bool Full;

    /// <summary>How many engines were opened (the store's first open and each reopen).</summary>
    public int Opens { get; private set; }

    /// <summary>A new engine on the file, as the store's own open would make (direct mode's file names).</summary>
    public LiteDatabase Open()
    {
        lock (_opened)
        {
            Opens++;
            string log = Path.Combine(Path.GetDirectoryName(path)!, Path.GetFileNameWithoutExtension(path) + "-log" + Path.GetExtension(path));
            var data = new FullableStream(File.Open(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite), this);
            var logStream = new FullableStream(File.Open(log, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite), this);
            _opened.Add(data);
            _opened.Add(logStream);
            return new LiteDatabase(data, BsonMapper.Global, logStream);
        }
    }

    // LiteDB leaves streams it was given open.
    public void Dispose()
    {
        lock (_opened)
        {
            _opened.ForEach(s => s.Dispose());
        }
    }

    private sealed class FullableStream(FileStream inner, FillingDisk disk) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => true;

        public override long Length => inner.Length;

        public override long Position { get => inner.Position; set => inner.Position = value; }

        public override void Flush()
        {
            ThrowIfFull();
            inner.Flush(flushToDisk: true);
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

        public override void SetLength(long value)
        {
            if (value > inner.Length)
            {
                ThrowIfFull();
            }

            inner.SetLength(value);
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            ThrowIfFull();
            inner.Write(buffer, offset, count);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        private void ThrowIfFull()
        {
            if (disk.Full)
            {
                throw new IOException("No space left on device : '" + inner.Name + "'");
            }
        }
    }
}
