using System.Security.Cryptography;
using System.Text;
using KcryptPush.Verifier.Operator;

namespace KcryptPush.Verifier.Tests.Operator;

/// <summary>
/// <c>nodes set-secret</c> encrypts only to a pinned verifier key. The attack: someone else answers for
/// the verifier on the broker (a stolen verifier login, a broker administrator) with a key of their own,
/// hoping to read the passphrase. Here the genuine verifier is pinned, then stopped, and an impostor
/// verifier process with its own key consumes the same operator queue.
/// </summary>
[Trait("Category", "Integration")]
public sealed class VerifierKeyPinningTests : IClassFixture<RabbitMqFixture>, IDisposable
{
    private const string Passphrase = "pinned passphrase ✓";
    private readonly RabbitMqFixture _broker;
    private readonly string _dir = Directory.CreateTempSubdirectory("kcp-pinning-").FullName;

    public VerifierKeyPinningTests(RabbitMqFixture broker)
    {
        _broker = broker;
    }

    private string Pins => Path.Combine(_dir, "known_verifiers");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task An_impostor_verifier_with_another_key_gets_nothing_and_the_operator_is_told()
    {
        string hash = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        string genuineDb = Path.Combine(_dir, "genuine", "verifier.db");
        string impostorDb = Path.Combine(_dir, "impostor", "verifier.db");

        string genuineKey;
        using (VerifierProcess genuine = VerifierProcess.Run("--broker", _broker.Uri, "--db", genuineDb, "--interval", "60s"))
        {
            // First use pins the key and says so, with the fingerprint the verifier's host prints.
            var first = await SetSecretUntilAnswered(genuine, hash, "COS_PERSISTENT");
            Assert.True(first.Code == 0, $"exit {first.Code}: {first.Stderr}\n{genuine.Output}");
            (int fpCode, string fpOut, string fpErr) = await VerifierProcess.Command(null, "secret-key", "--db", genuineDb);
            Assert.True(fpCode == 0, fpErr);
            genuineKey = fpOut.Trim();
            Assert.True(KeyFingerprint.IsWellFormed(genuineKey), genuineKey);
            Assert.Contains("first use", first.Stderr, StringComparison.Ordinal);
            Assert.Contains(genuineKey, first.Stderr, StringComparison.Ordinal);
            Assert.Contains(genuineKey, File.ReadAllText(Pins), StringComparison.Ordinal);

            // The same key again: sent, nothing to say.
            var again = await SetSecret(hash, "COS_OEM");
            Assert.True(again.Code == 0, again.Stderr);
            Assert.DoesNotContain("first use", again.Stderr, StringComparison.Ordinal);
        }

        string pinsBefore = File.ReadAllText(Pins);
        using VerifierProcess impostor = VerifierProcess.Run("--broker", _broker.Uri, "--db", impostorDb, "--interval", "60s");
        var refused = await SetSecretUntilAnswered(impostor, hash, "COS_PERSISTENT");
        (_, string impostorKey, _) = await VerifierProcess.Command(null, "secret-key", "--db", impostorDb);
        Assert.NotEqual(genuineKey, impostorKey.Trim());
        Assert.True(refused.Code == 3, $"exit {refused.Code}: {refused.Stderr}");
        Assert.Contains("changed", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains(impostorKey.Trim(), refused.Stderr, StringComparison.Ordinal);
        Assert.Equal(pinsBefore, File.ReadAllText(Pins));

        // Expecting the genuine key by fingerprint is refused as well; a malformed fingerprint is bad input.
        var expected = await SetSecret(hash, "COS_PERSISTENT", "--verifier-fingerprint", genuineKey);
        Assert.Equal(3, expected.Code);
        var malformed = await SetSecret(hash, "COS_PERSISTENT", "--verifier-fingerprint", "SHA256:nope");
        Assert.Equal(2, malformed.Code);

        // The impostor received no secret at all: its database holds no trace of the passphrase or the label.
        (int showCode, string show, string showErr) = await VerifierProcess.Command(null, "nodes", "show", hash, "--json", "--broker", _broker.Uri);
        Assert.DoesNotContain("COS_PERSISTENT", show + showErr, StringComparison.Ordinal);
        _ = showCode;
        impostor.Dispose();
        byte[] passphrase = Encoding.UTF8.GetBytes(Passphrase);
        foreach (string file in Directory.GetFiles(Path.GetDirectoryName(impostorDb)!))
        {
            byte[] bytes = File.ReadAllBytes(file);
            Assert.True(bytes.AsSpan().IndexOf(passphrase) < 0, $"{file} holds the passphrase");
            Assert.True(bytes.AsSpan().IndexOf("COS_PERSISTENT"u8) < 0, $"{file} holds a secret's label: SetSecret reached the impostor");
        }

        // An operator who checked the new key on the verifier's host accepts it by fingerprint: the pin moves.
        using VerifierProcess rotated = VerifierProcess.Run("--broker", _broker.Uri, "--db", impostorDb, "--interval", "60s");
        var accepted = await SetSecretUntilAnswered(rotated, hash, "COS_PERSISTENT", "--verifier-fingerprint", impostorKey.Trim());
        Assert.True(accepted.Code == 0, $"exit {accepted.Code}: {accepted.Stderr}\n{rotated.Output}");
        Assert.Contains("replacing the pin", accepted.Stderr, StringComparison.Ordinal);
        Assert.Contains(impostorKey.Trim(), File.ReadAllText(Pins), StringComparison.Ordinal);
        Assert.DoesNotContain(genuineKey, File.ReadAllText(Pins), StringComparison.Ordinal);
    }

    private Task<(int Code, string Stdout, string Stderr)> SetSecret(string hash, string label, params string[] extra) =>
        VerifierProcess.Command(Passphrase + "\n", ["nodes", "set-secret", hash, label, "--operator", "pin-test", "--broker", _broker.Uri,
            "--known-verifiers", Pins, "--timeout", "5s", .. extra]);

    // The verifier binds its operator queue when it starts; until then the request finds no queue (exit 1, no answer).
    private async Task<(int Code, string Stdout, string Stderr)> SetSecretUntilAnswered(VerifierProcess verifier, string hash, string label, params string[] extra)
    {
        DateTime until = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var r = await SetSecret(hash, label, extra);
            if (r.Code != 1 || !r.Stderr.Contains("no answer", StringComparison.Ordinal) || DateTime.UtcNow > until || verifier.HasExited)
            {
                return r;
            }

            await Task.Delay(500);
        }
    }
}
