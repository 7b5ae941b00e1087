using KcryptPush.Integration.Tests.Fixtures;

namespace KcryptPush.Integration.Tests.Observe;

/// <summary>
/// A verifier that cannot start says why on one line and exits 1, and names the database only when
/// the database is what failed: an operator sent to look at verifier.db when it was the key file beside
/// it would look in the wrong place. No broker is needed: both fail while the host is built.
/// </summary>
[Trait("Category", "Integration")]
public sealed class VerifierStartFailureTests : IDisposable
{
    private const string NoBroker = "amqp://guest:guest@127.0.0.1:1/";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("kcp-it-start-").FullName;

    [Fact]
    public void A_secret_key_file_that_cannot_be_read_is_reported_as_itself_not_as_the_database()
    {
        // A directory where the key file belongs: neither readable as a key nor replaceable by one.
        Directory.CreateDirectory(Path.Combine(_dir, "verifier.secret-key"));
        ProcessResult r = Run();
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("kcrypt-push-verifier: cannot start: ", r.StdErr, StringComparison.Ordinal);
        Assert.Contains("verifier.secret-key", r.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("cannot open the database", r.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", r.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_database_path_that_is_a_directory_is_reported_as_the_database()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "verifier.db"));
        ProcessResult r = Run();
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("kcrypt-push-verifier: cannot open the database: ", r.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", r.StdErr, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private ProcessResult Run() => ProcessRunner.Run("dotnet",
        [KcryptPushBinaries.Verifier, "run", "--broker", NoBroker, "--db", Path.Combine(_dir, "verifier.db"), "--http", "off"],
        environment: new Dictionary<string, string> { ["KCRYPTPUSH_HTTP_TOKEN"] = "" }, timeout: StartTimeout);
}
