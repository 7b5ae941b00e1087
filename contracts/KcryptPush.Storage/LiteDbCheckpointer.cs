using System.Reflection;
using System.Runtime.ExceptionServices;
using LiteDB;

namespace KcryptPush.Storage;

/// <summary>
/// Runs LiteDB checkpoints of one engine on a thread of its own, so that the caller can stop waiting.
/// LiteDB 5.0.20's Checkpoint takes the engine's exclusive lock and waits for its background -log writer
/// to empty its queue; when that writer fails (a full disk: ENOSPC) it closes the engine and never
/// empties the queue, and a checkpoint that was already waiting waits for ever (measured: the store's
/// reopen test hung on the first failure). Both services' LiteDB stores checkpoint through it. The caller waits in slices and gives up as soon as the
/// engine has closed itself, or after a bound; the stuck thread is then left behind with its engine.
/// </summary>
public sealed class LiteDbCheckpointer : IDisposable
{
    private static readonly TimeSpan Slice = TimeSpan.FromMilliseconds(50);

    // LiteDatabase._engine (LiteEngine)._state (EngineState).Disposed: set when the engine closed itself
    // after an I/O error. Read by reflection (no public API tells); null fields only lose the early exit.
    private static readonly FieldInfo? EngineField = typeof(LiteDatabase).GetField("_engine", BindingFlags.Instance | BindingFlags.NonPublic);
    private static readonly FieldInfo? StateField = typeof(LiteDB.Engine.LiteEngine).GetField("_state", BindingFlags.Instance | BindingFlags.NonPublic);
    private static readonly FieldInfo? DisposedField = StateField?.FieldType.GetField("Disposed", BindingFlags.Instance | BindingFlags.Public);
    private static readonly FieldInfo? ExceptionField = StateField?.FieldType.GetField("_exception", BindingFlags.Instance | BindingFlags.NonPublic);

    private readonly LiteDatabase _db;
    private readonly SemaphoreSlim _requested = new(0);
    private readonly ManualResetEventSlim _done = new(false);
    private Exception? _error;
    private volatile bool _stopping;

    /// <summary>A checkpointer of <paramref name="db"/>, with its thread.</summary>
    public LiteDbCheckpointer(LiteDatabase db)
    {
        _db = db;
        new Thread(Loop) { IsBackground = true, Name = "litedb-checkpoint" }.Start();
    }

    /// <summary>
    /// Checkpoints (callers serialise their calls); rethrows the checkpoint's error. Throws
    /// <see cref="IOException"/> when the engine closed itself meanwhile or <paramref name="bound"/>
    /// passed: the checkpoint may never return, and this checkpointer is not to be used again.
    /// </summary>
    public void Checkpoint(TimeSpan bound)
    {
        _error = null;
        _done.Reset();
        _requested.Release();
        DateTime until = DateTime.UtcNow + bound;
        while (!_done.Wait(Slice))
        {
            if (EngineClosed(_db))
            {
                // The writer's own error says why (ENOSPC's "No space left on device").
                throw EngineFailure(_db) ?? new IOException("LiteDB closed its engine during a checkpoint (its log writer failed)");
            }

            if (DateTime.UtcNow > until)
            {
                throw new IOException($"a LiteDB checkpoint has not returned in {bound.TotalSeconds:0} s");
            }
        }

        if (_error is { } e)
        {
            // A checkpoint racing the writer's failure meets the engine's disposed locks: the writer's error says why.
            ExceptionDispatchInfo.Throw(EngineClosed(_db) ? EngineFailure(_db) ?? e : e);
        }
    }

    /// <summary>Whether <paramref name="db"/>'s engine closed itself (after an I/O error); false when it cannot be told.</summary>
    public static bool EngineClosed(LiteDatabase db) =>
        EngineField?.GetValue(db) is LiteDB.Engine.LiteEngine engine
        && StateField?.GetValue(engine) is { } state
        && DisposedField?.GetValue(state) is true;

    /// <summary>The error <paramref name="db"/>'s engine closed itself on, if it did and it can be told.</summary>
    public static Exception? EngineFailure(LiteDatabase db) =>
        EngineField?.GetValue(db) is LiteDB.Engine.LiteEngine engine && StateField?.GetValue(engine) is { } state
            ? ExceptionField?.GetValue(state) as Exception
            : null;

    /// <inheritdoc/>
    public void Dispose()
    {
        // A thread stuck in a checkpoint stays there; an idle one ends.
        _stopping = true;
        _requested.Release();
    }

    private void Loop()
    {
        while (true)
        {
            _requested.Wait();
            if (_stopping)
            {
                return;
            }

            try
            {
                _db.Checkpoint();
            }
            catch (Exception e)
            {
                _error = e;
            }

            _done.Set();
        }
    }
}
