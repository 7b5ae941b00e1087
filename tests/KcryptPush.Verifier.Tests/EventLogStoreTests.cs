using System.Security.Cryptography;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Verifier.Tests;

[Trait("Category", "Unit")]
public sealed class EventLogStoreTests : IDisposable
{
    private readonly PipelineHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void A_used_log_is_rewritten_at_most_once_an_hour_and_the_least_recently_used_goes_first()
    {
        DateTime t0 = _h.Now;
        byte[][] logs = [.. Enumerable.Range(0, _h.Store.Options.LogsPerNode).Select(_ => RandomNumberGenerator.GetBytes(100))];
        for (int i = 0; i < logs.Length; i++)
        {
            _h.Store.StoreLog(_h.TpmHash, SHA256.HashData(logs[i]), logs[i], t0.AddMinutes(i));
        }

        EventLogRecord first = _h.Store.FindLog(_h.TpmHash, SHA256.HashData(logs[0]))!;
        _h.Store.TouchLog(first, t0.AddMinutes(30));
        Assert.Equal(t0, _h.Store.FindLog(_h.TpmHash, SHA256.HashData(logs[0]))!.LastUsedAt.ToUniversalTime());

        _h.Store.TouchLog(first, t0.AddHours(2));
        Assert.Equal(t0.AddHours(2), _h.Store.FindLog(_h.TpmHash, SHA256.HashData(logs[0]))!.LastUsedAt.ToUniversalTime());

        // A new log evicts the least recently used one: logs[1], not the touched logs[0].
        byte[] fresh = RandomNumberGenerator.GetBytes(100);
        _h.Store.StoreLog(_h.TpmHash, SHA256.HashData(fresh), fresh, t0.AddHours(3));
        Assert.NotNull(_h.Store.FindLog(_h.TpmHash, SHA256.HashData(logs[0])));
        Assert.Null(_h.Store.FindLog(_h.TpmHash, SHA256.HashData(logs[1])));
        Assert.NotNull(_h.Store.FindLog(_h.TpmHash, SHA256.HashData(fresh)));
    }
}
