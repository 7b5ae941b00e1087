using System.Security.Cryptography;
using System.Text;
using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Operator;

namespace KcryptPush.Verifier.Tests.Operator;

/// <summary>The set-secret envelope (CLI side Seal, verifier side Open) and the persisted transport key.</summary>
[Trait("Category", "Unit")]
public sealed class SecretTransportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kcrypt-secret-key-").FullName;
    private readonly ECDiffieHellman _verifier = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
    private readonly string _hash = new('e', 64);

    public void Dispose()
    {
        _verifier.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Round_trip_recovers_the_passphrase_and_the_ciphertext_is_not_the_plaintext()
    {
        byte[] passphrase = Encoding.UTF8.GetBytes("correct horse battery staple");
        SetSecret m = SecretTransport.Seal(_verifier.ExportSubjectPublicKeyInfo(), _hash, "COS_PERSISTENT", passphrase, "alice");

        Assert.Equal((_hash, "COS_PERSISTENT", "alice"), (m.TpmHash, m.Label, m.Operator));
        Assert.Equal((SecretTransport.NonceSize, SecretTransport.TagSize, passphrase.Length), (m.Nonce.Length, m.Tag.Length, m.Ciphertext.Length));
        Assert.NotEqual(passphrase, m.Ciphertext);
        Assert.Equal(passphrase, SecretTransport.Open(_verifier, m));

        SetSecret second = SecretTransport.Seal(_verifier.ExportSubjectPublicKeyInfo(), _hash, "COS_PERSISTENT", passphrase, "alice");
        Assert.NotEqual(m.EphemeralPublicKey, second.EphemeralPublicKey); // a fresh ephemeral key each time
        Assert.NotEqual(m.Ciphertext, second.Ciphertext);
    }

    [Fact]
    public void Open_matches_an_independent_derivation_of_the_documented_scheme()
    {
        SetSecret m = SecretTransport.Seal(_verifier.ExportSubjectPublicKeyInfo(), _hash, "L", "abc"u8, "alice");
        using var eph = ECDiffieHellman.Create();
        eph.ImportSubjectPublicKeyInfo(m.EphemeralPublicKey, out _);
        byte[] shared = _verifier.DeriveRawSecretAgreement(eph.PublicKey);
        byte[] key = HKDF.DeriveKey(HashAlgorithmName.SHA256, shared, 32, [], Encoding.UTF8.GetBytes("kcrypt-push set-secret v1"));
        byte[] plain = new byte[m.Ciphertext.Length];
        using var gcm = new AesGcm(key, 16);
        gcm.Decrypt(m.Nonce, m.Ciphertext, m.Tag, plain, Encoding.UTF8.GetBytes(_hash + "\nL"));
        Assert.Equal("abc"u8.ToArray(), plain);
    }

    [Fact]
    public void Tampered_or_moved_or_misaddressed_secrets_are_refused()
    {
        SetSecret m = SecretTransport.Seal(_verifier.ExportSubjectPublicKeyInfo(), _hash, "L", "secret"u8, "alice");
        byte[] c = (byte[])m.Ciphertext.Clone();
        c[^1] ^= 0x80;
        byte[] n = (byte[])m.Nonce.Clone();
        n[0] ^= 1;
        using var p384 = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
        using var other = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);

        Assert.Throws<SecretTransportException>(() => SecretTransport.Open(_verifier, m with { Ciphertext = c }));
        Assert.Throws<SecretTransportException>(() => SecretTransport.Open(_verifier, m with { Nonce = n }));
        Assert.Throws<SecretTransportException>(() => SecretTransport.Open(_verifier, m with { Label = "L2" }));
        Assert.Throws<SecretTransportException>(() => SecretTransport.Open(_verifier, m with { TpmHash = new string('f', 64) }));
        Assert.Throws<SecretTransportException>(() => SecretTransport.Open(_verifier, m with { EphemeralPublicKey = p384.ExportSubjectPublicKeyInfo() }));
        Assert.Throws<SecretTransportException>(() => SecretTransport.Open(other, m));
        Assert.Equal("secret"u8.ToArray(), SecretTransport.Open(_verifier, m));
    }

    [Fact]
    public void Seal_refuses_a_verifier_key_that_is_not_p256()
    {
        using var p384 = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
        Assert.ThrowsAny<CryptographicException>(() => SecretTransport.Seal(p384.ExportSubjectPublicKeyInfo(), _hash, "L", "x"u8, "a"));
        Assert.ThrowsAny<CryptographicException>(() => SecretTransport.Seal([0x30, 0x00], _hash, "L", "x"u8, "a"));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Transport_key_is_created_once_with_mode_0600_and_reloaded_after_a_restart()
    {
        string db = Path.Combine(_dir, "sub", "verifier.db");
        string path = SecretTransportKey.PathBeside(db);
        Assert.Equal(Path.Combine(_dir, "sub", "verifier.secret-key"), path);

        byte[] first;
        using (SecretTransportKey created = SecretTransportKey.LoadOrCreate(path))
        {
            first = created.PublicKey;
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Single(Directory.GetFiles(Path.Combine(_dir, "sub"))); // no temporary file left

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        using SecretTransportKey reloaded = SecretTransportKey.LoadOrCreate(path);
        Assert.Equal(first, reloaded.PublicKey);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));

        SetSecret m = SecretTransport.Seal(first, _hash, "L", "after restart"u8, "alice");
        Assert.Equal("after restart"u8.ToArray(), SecretTransport.Open(reloaded.Key, m));
    }

    [Fact]
    public void A_transport_key_file_that_is_not_a_p256_private_key_is_an_io_error()
    {
        string garbage = Path.Combine(_dir, "garbage.secret-key");
        File.WriteAllText(garbage, "not a key");
        Assert.Throws<IOException>(() => SecretTransportKey.LoadOrCreate(garbage));

        string p384 = Path.Combine(_dir, "p384.secret-key");
        using (var k = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384))
        {
            File.WriteAllText(p384, k.ExportPkcs8PrivateKeyPem());
        }

        Assert.Throws<IOException>(() => SecretTransportKey.LoadOrCreate(p384));
    }

    [Fact]
    public async Task Concurrent_first_starts_agree_on_one_key()
    {
        string path = Path.Combine(_dir, "race.secret-key");
        SecretTransportKey[] keys = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => SecretTransportKey.LoadOrCreate(path))));
        try
        {
            Assert.Single(keys.Select(k => Convert.ToHexString(k.PublicKey)).Distinct());
        }
        finally
        {
            foreach (SecretTransportKey k in keys)
            {
                k.Dispose();
            }
        }
    }
}
