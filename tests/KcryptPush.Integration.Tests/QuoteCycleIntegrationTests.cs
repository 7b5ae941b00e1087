using System.Diagnostics;
using System.Security.Cryptography;
using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Tpm.Client;
using KcryptPush.Tpm.Commands;
using KcryptPush.Tpm.Crypto;
using KcryptPush.Tpm.Errors;
using KcryptPush.Tpm.Sessions;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;
using Xunit.Abstractions;

namespace KcryptPush.Integration.Tests;

/// <summary>Hundreds of quote cycles on one swtpm (no resource manager) leave nothing loaded.</summary>
[Trait("Category", "Integration")]
public sealed class QuoteCycleIntegrationTests : IClassFixture<SwtpmClassFixture>
{
    private const int Cycles = 500;

    private readonly SwtpmClassFixture _f;
    private readonly ITestOutputHelper _output;

    public QuoteCycleIntegrationTests(SwtpmClassFixture fixture, ITestOutputHelper output)
    {
        _f = fixture;
        _output = output;
    }

    [Fact]
    public void Five_hundred_quote_cycles_leave_no_transient_objects_and_no_loaded_sessions()
    {
        TpmlPcrSelection selection = TpmlPcrSelection.Create((TpmAlgId.Sha256, [0, 1, 2, 3, 4, 5, 6, 7]));
        var watch = Stopwatch.StartNew();
        int integrityFailures = 0;
        using (TpmClient tpm = TpmClient.Open(_f.Tpm.TpmUri))
        {
            IReadOnlyList<uint> persistentBefore = tpm.GetHandles(TpmHandle.PersistentFirst);
            using TpmKey persisted = tpm.GetOrCreatePersistentAk(AkKind.Rsa2048);
            using TpmKey ek = tpm.CreateEk(EkKind.Rsa2048);
            for (int i = 0; i < Cycles; i++)
            {
                byte[] nonce = RandomNumberGenerator.GetBytes(32);

                // A fresh AK per cycle (load, quote, flush) ...
                using (TpmKey ak = tpm.CreateAk(AkKind.EccP256))
                {
                    TpmQuote q = tpm.Quote(ak.Handle, nonce, selection);
                    Assert.NotEmpty(q.Signature);
                }

                // ... the persisted AK, and an EK policy session started, used and flushed.
                TpmQuote p = tpm.Quote(persisted.Handle, nonce, selection);
                Assert.NotEmpty(p.Attest);
                using (PolicySession s = PolicySession.ForEk(tpm.Channel, ek.Public))
                {
                    Assert.Equal(EkPolicy.PolicyA(TpmAlgId.Sha256), s.GetDigest());
                }

                // Every 50th cycle, a failing activation: the error path must flush too.
                if (i % 50 == 0)
                {
                    CredentialBlob blob = MakeCredential.ForEk(ek.Public, persisted.Name, nonce);
                    byte[] bad = blob.IdObjectContents.ToArray();
                    bad[^1] ^= 0x80;
                    TpmException e = Assert.Throws<TpmException>(
                        () => tpm.ActivateCredential(persisted, ek, bad, blob.EncryptedSecretContents.Span));
                    Assert.Equal(TpmRc.Integrity, e.Code);
                    integrityFailures++;
                }
            }
            ek.Dispose();

            Assert.Empty(tpm.GetHandles(TpmHandle.TransientFirst));
            Assert.Empty(tpm.GetHandles(TpmHandle.HmacSessionFirst));
            Assert.Empty(tpm.GetHandles(TpmHandle.PolicySessionFirst));
            Assert.Contains(TpmHandle.DefaultAk, tpm.GetHandles(TpmHandle.PersistentFirst));

            tpm.EvictPersistent(TpmHandle.DefaultAk);
            Assert.Equal(persistentBefore, tpm.GetHandles(TpmHandle.PersistentFirst));
        }
        watch.Stop();
        Assert.Equal(Cycles / 50, integrityFailures);
        _output.WriteLine($"{Cycles} cycles in {watch.Elapsed.TotalSeconds:0.0} s ({watch.Elapsed.TotalMilliseconds / Cycles:0.0} ms per cycle)");

        // tpm2-tools sees the same: nothing left loaded.
        Assert.DoesNotContain("0x80", _f.Tools.Run("getcap", "handles-transient").StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("0x3", _f.Tools.Run("getcap", "handles-loaded-session").StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void The_persistent_ak_is_reused_on_a_second_call_and_is_the_same_key_as_the_primary()
    {
        using TpmClient tpm = TpmClient.Open(_f.Tpm.TpmUri);
        const uint handle = 0x81018123;
        try
        {
            using TpmKey first = tpm.GetOrCreatePersistentAk(AkKind.EccP256, persistentHandle: handle);
            using TpmKey second = tpm.GetOrCreatePersistentAk(AkKind.EccP256, persistentHandle: handle);
            using TpmKey primary = tpm.CreateAk(AkKind.EccP256);

            Assert.Equal(handle, first.Handle);
            Assert.Equal(first.Name, second.Name);
            Assert.Equal(primary.Name, first.Name);
            Assert.Throws<InvalidOperationException>(() => tpm.GetOrCreatePersistentAk(AkKind.Rsa2048, persistentHandle: handle));
        }
        finally
        {
            tpm.EvictPersistent(handle);
        }
        Assert.DoesNotContain(handle, tpm.GetHandles(TpmHandle.PersistentFirst));
        Assert.Empty(tpm.GetHandles(TpmHandle.TransientFirst));
    }
}
