using System.Security.Cryptography;
using KcryptPush.Verifier.Cli;
using KcryptPush.Verifier.Operator;

namespace KcryptPush.Verifier.Tests.Operator;

/// <summary>The pin decision and the known_verifiers file, without a broker.</summary>
[Trait("Category", "Unit")]
public sealed class KnownVerifiersTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kcp-pins-").FullName;

    private static string NewFingerprint() => KeyFingerprint.Of(RandomNumberGenerator.GetBytes(91));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_fingerprint_is_OpenSSH_style_SHA256_of_the_SubjectPublicKeyInfo()
    {
        using var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        byte[] spki = key.ExportSubjectPublicKeyInfo();
        string fp = KeyFingerprint.Of(spki);
        Assert.Equal("SHA256:" + Convert.ToBase64String(SHA256.HashData(spki)).TrimEnd('='), fp);
        Assert.Equal(KeyFingerprint.Length, fp.Length);
        Assert.True(KeyFingerprint.IsWellFormed(fp));
        Assert.False(KeyFingerprint.IsWellFormed(fp[..^1]));
        Assert.False(KeyFingerprint.IsWellFormed("sha256:" + fp[7..]));
        Assert.False(KeyFingerprint.IsWellFormed("SHA256:" + new string('*', 43)));
        Assert.False(KeyFingerprint.IsWellFormed(null));
    }

    [Fact]
    public void First_use_pins_the_same_key_passes_silently_and_a_changed_key_is_refused()
    {
        string a = NewFingerprint(), b = NewFingerprint();
        Assert.Equal((true, true), Pair(KnownVerifiers.Check(null, null, a)));
        Assert.Contains("first use", KnownVerifiers.Check(null, null, a).Message, StringComparison.Ordinal);
        Assert.Equal(new PinCheck(true, false, null), KnownVerifiers.Check(a, null, a));
        PinCheck changed = KnownVerifiers.Check(a, null, b);
        Assert.Equal((false, false), Pair(changed));
        Assert.Contains("nothing was sent", changed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_expected_fingerprint_decides_over_the_pin_in_both_directions()
    {
        string a = NewFingerprint(), b = NewFingerprint();

        // The operator checked the key on the verifier's host: it replaces an old pin.
        Assert.Equal((true, true), Pair(KnownVerifiers.Check(a, b, b)));
        Assert.Equal((true, true), Pair(KnownVerifiers.Check(null, b, b)));
        Assert.Equal(new PinCheck(true, false, null), KnownVerifiers.Check(b, b, b));

        // What the operator expects is not what answered: refused even when the pin agrees with the answer.
        Assert.Equal((false, false), Pair(KnownVerifiers.Check(a, b, a)));
        Assert.Equal((false, false), Pair(KnownVerifiers.Check(null, b, a)));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Pin_writes_an_owner_only_file_replaces_the_endpoints_line_and_keeps_others_and_comments()
    {
        string path = Path.Combine(_dir, "sub", "known_verifiers");
        string a = NewFingerprint(), b = NewFingerprint(), c = NewFingerprint();
        KnownVerifiers empty = KnownVerifiers.Load(path);
        Assert.Null(empty.Find("h:5672/%2F"));
        empty.Pin("h:5672/%2F", a);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));

        File.AppendAllText(path, "# the staging fleet\nother:5671/prod " + b + "\n");
        KnownVerifiers loaded = KnownVerifiers.Load(path);
        Assert.Equal(a, loaded.Find("h:5672/%2F"));
        loaded.Pin("h:5672/%2F", c);

        string[] lines = File.ReadAllLines(path);
        Assert.Equal(["# the staging fleet", "other:5671/prod " + b, "h:5672/%2F " + c], lines);
        Assert.Equal(c, KnownVerifiers.Load(path).Find("h:5672/%2F"));
        Assert.Equal(b, KnownVerifiers.Load(path).Find("other:5671/prod"));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData("h:5672/%2F")]
    [InlineData("h:5672/%2F SHA256:short")]
    [InlineData("h:5672/%2F SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA extra")]
    [InlineData("no-port SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void A_malformed_line_is_bad_input_naming_the_file_and_line(string line)
    {
        string path = Path.Combine(_dir, "known_verifiers");
        File.WriteAllText(path, "# ok\n\n" + line + "\n");
        CliInputException e = Assert.Throws<CliInputException>(() => KnownVerifiers.Load(path));
        Assert.StartsWith(path + ":3:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_file_comes_from_the_option_then_the_environment_then_the_config_home()
    {
        Assert.Equal(Path.GetFullPath("x/pins"), KnownVerifiers.Resolve("x/pins"));
        string? env = Environment.GetEnvironmentVariable(KnownVerifiers.EnvironmentVariable);
        if (env is { Length: > 0 })
        {
            Assert.Equal(Path.GetFullPath(env), KnownVerifiers.Resolve(null));
        }
        else
        {
            Assert.EndsWith(Path.Combine("kcrypt-push", "known_verifiers"), KnownVerifiers.Resolve(null), StringComparison.Ordinal);
        }
    }

    private static (bool, bool) Pair(PinCheck c) => (c.Trusted, c.Pin);
}
