using System.Security.Cryptography;
using System.Text;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Verifier.Tests;

/// <summary>Partition secrets are sealed inside verifier.db under a key derived from verifier.secret-key.</summary>
[Trait("Category", "Unit")]
public sealed class SecretAtRestTests : IDisposable
{
    private static readonly byte[] Passphrase = Encoding.UTF8.GetBytes("correct horse battery staple ü");
    private readonly PipelineHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void A_secret_is_stored_sealed_and_opens_to_the_passphrase()
    {
        _h.Store.SetSecret(_h.TpmHash, "COS_PERSISTENT", Passphrase, "alice", _h.Now);

        SecretRecord record = _h.Store.FindSecret(_h.TpmHash, "COS_PERSISTENT")!;
        Assert.True(record.IsSealed);
        Assert.Empty(record.Value);
        Assert.Equal(Passphrase.Length, record.Ciphertext!.Length);
        Assert.NotEqual(Passphrase, record.Ciphertext);
        Assert.Equal(Passphrase, _h.Store.OpenSecret(_h.TpmHash, "COS_PERSISTENT"));
        Assert.Null(_h.Store.OpenSecret(_h.TpmHash, "COS_OEM"));

        // The same passphrase twice gives two ciphertexts (fresh nonce each time).
        _h.Store.SetSecret(_h.TpmHash, "COS_PERSISTENT", Passphrase, "alice", _h.Now);
        Assert.NotEqual(record.Ciphertext, _h.Store.FindSecret(_h.TpmHash, "COS_PERSISTENT")!.Ciphertext);
    }

    [Fact]
    public void A_stored_ciphertext_that_was_altered_or_moved_to_another_label_does_not_open()
    {
        _h.Store.SetSecret(_h.TpmHash, "A", Passphrase, "alice", _h.Now);
        SecretRecord record = _h.Store.FindSecret(_h.TpmHash, "A")!;

        SecretRecord flipped = Copy(record, "A");
        flipped.Ciphertext![0] ^= 1;
        Assert.Throws<CryptographicException>(() => _h.SecretKey.Open(flipped));

        Assert.Throws<CryptographicException>(() => _h.SecretKey.Open(Copy(record, "B")));
        SecretRecord otherNode = Copy(record, "A");
        otherNode.TpmHash = new string('0', 64);
        Assert.Throws<CryptographicException>(() => _h.SecretKey.Open(otherNode));
        Assert.Equal(Passphrase, _h.SecretKey.Open(Copy(record, "A")));
    }

    [Fact]
    public void Another_verifiers_key_cannot_open_the_secret()
    {
        _h.Store.SetSecret(_h.TpmHash, "A", Passphrase, "alice", _h.Now);
        using var other = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        using SecretAtRestKey otherKey = SecretAtRestKey.DeriveFrom(other);

        Assert.Throws<CryptographicException>(() => otherKey.Open(_h.Store.FindSecret(_h.TpmHash, "A")!));
    }

    [Fact]
    public void The_key_is_a_function_of_the_transport_key_only()
    {
        using var transport = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        using var reloaded = ECDiffieHellman.Create();
        reloaded.ImportPkcs8PrivateKey(transport.ExportPkcs8PrivateKey(), out _);
        using SecretAtRestKey first = SecretAtRestKey.DeriveFrom(transport);
        using SecretAtRestKey second = SecretAtRestKey.DeriveFrom(reloaded);
        var record = new SecretRecord { TpmHash = _h.TpmHash, Label = "A" };

        first.Seal(record, Passphrase);

        Assert.Equal(Passphrase, second.Open(record));
    }

    [Fact]
    public void A_public_only_transport_key_derives_nothing()
    {
        using var transport = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        using var publicOnly = ECDiffieHellman.Create();
        publicOnly.ImportSubjectPublicKeyInfo(transport.ExportSubjectPublicKeyInfo(), out _);

        Assert.ThrowsAny<CryptographicException>(() => SecretAtRestKey.DeriveFrom(publicOnly));
    }

    [Fact]
    public void A_store_without_the_key_lists_labels_but_neither_sets_nor_reads_secrets()
    {
        _h.Store.SetSecret(_h.TpmHash, "A", Passphrase, "alice", _h.Now);
        _h.Restart(new VerifierStoreOptions());
        IVerifierStore keyless = _h.Store;

        Assert.Equal(["A"], keyless.SecretLabels(_h.TpmHash));
        Assert.Throws<InvalidOperationException>(() => keyless.OpenSecret(_h.TpmHash, "A"));
        Assert.Throws<InvalidOperationException>(() => keyless.SetSecret(_h.TpmHash, "B", Passphrase, "alice", _h.Now));
        Assert.Null(keyless.FindSecret(_h.TpmHash, "B"));
    }

    [Fact]
    public void A_plaintext_secret_left_by_an_older_verifier_is_sealed_at_start_and_still_opens()
    {
        // Written as the older verifier wrote it, with the verifier stopped (it holds the file while it runs).
        _h.Store.Dispose();
        using (var db = new LiteDB.LiteDatabase(new LiteDB.ConnectionString { Filename = _h.DbPath, Connection = LiteDB.ConnectionType.Shared }))
        {
            db.GetCollection<SecretRecord>("secrets").Upsert(new SecretRecord
            {
                Id = _h.TpmHash + "\n" + "OLD", TpmHash = _h.TpmHash, Label = "OLD", Value = (byte[])Passphrase.Clone(), SetAt = _h.Now,
            });
        }

        _h.Restart();

        Assert.False(_h.Store.FindSecret(_h.TpmHash, "OLD")!.IsSealed);
        Assert.Equal(Passphrase, _h.Store.OpenSecret(_h.TpmHash, "OLD"));

        Assert.Equal(1, _h.Store.SealPlaintextSecrets());

        SecretRecord sealedRecord = _h.Store.FindSecret(_h.TpmHash, "OLD")!;
        Assert.True(sealedRecord.IsSealed);
        Assert.Empty(sealedRecord.Value);
        Assert.Equal(Passphrase, _h.Store.OpenSecret(_h.TpmHash, "OLD"));
        Assert.Equal(0, _h.Store.SealPlaintextSecrets());
    }

    private static SecretRecord Copy(SecretRecord r, string label) => new()
    {
        Id = r.Id, TpmHash = r.TpmHash, Label = label, SetAt = r.SetAt,
        Nonce = (byte[])r.Nonce!.Clone(), Ciphertext = (byte[])r.Ciphertext!.Clone(), Tag = (byte[])r.Tag!.Clone(),
    };
}
