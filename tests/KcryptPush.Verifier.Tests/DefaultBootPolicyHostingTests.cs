using KcryptPush.Attestation.BootPolicy;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Verifier.Hosting;
using KcryptPush.Verifier.Policies;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace KcryptPush.Verifier.Tests;

/// <summary>Verifier:DefaultBootPolicy in the service's host: loaded and validated when it is built, given to the measured-boot policy.</summary>
[Trait("Category", "Unit")]
public sealed class DefaultBootPolicyHostingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kcrypt-default-boot-policy-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private IHost Build(string? policy) => VerifierHost.Build(
        [
            // A file per host: a built host holds its store (LiteDB direct mode) until disposed.
            KeyValuePair.Create<string, string?>("Verifier:Db", Path.Combine(_dir, $"verifier-{Guid.NewGuid():N}.db")),
            KeyValuePair.Create<string, string?>("Broker:Uri", "amqp://guest:guest@127.0.0.1:1/"),
            KeyValuePair.Create("Verifier:DefaultBootPolicy", policy),
        ],
        new Dictionary<string, string?>());

    private static MeasuredBootNodePolicy MeasuredBoot(IHost host) =>
        host.Services.GetServices<IAttestationPolicy>().OfType<MeasuredBootNodePolicy>().Single();

    [Fact]
    public void The_configured_file_is_the_measured_boot_policys_default()
    {
        string path = Path.Combine(_dir, "fleet.json");
        MeasuredBootPolicy made = BootPolicyFactory.Create(EventLogParser.Parse(File.ReadAllBytes(Path.Combine(RepoPaths.EventLogs, "qemu-fedora37-sdboot.bin"))));
        File.WriteAllText(path, BootPolicyJson.Write(made));

        using IHost host = Build(path);
        DefaultBootPolicy loaded = MeasuredBoot(host).Default!;
        Assert.Equal(Path.GetFullPath(path), loaded.Source);
        Assert.Equal(BootPolicyJson.Write(made), BootPolicyJson.Write(loaded.Policy));
        Assert.Equal(64, loaded.Sha256.Length);
        Assert.Same(loaded, host.Services.GetRequiredService<DefaultBootPolicy>());

        using IHost none = Build(null);
        Assert.Null(MeasuredBoot(none).Default);
    }

    [Theory]
    [InlineData("missing.json", null, "no such file")]
    [InlineData("bad.json", "{\"version\": 1, \"banks\": [\"sha256\"], \"kernelCommandLine\": {\"absent\": false}}", "$.kernelCommandLine.absent")]
    [InlineData("empty.json", "", "not JSON")]
    public void A_file_that_does_not_load_stops_the_host_from_being_built(string name, string? content, string mentions)
    {
        string path = Path.Combine(_dir, name);
        if (content is not null)
        {
            File.WriteAllText(path, content);
        }

        DefaultBootPolicyException e = Assert.Throws<DefaultBootPolicyException>(() => Build(path));
        Assert.StartsWith($"Verifier:DefaultBootPolicy: {path}: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(mentions, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }
}
