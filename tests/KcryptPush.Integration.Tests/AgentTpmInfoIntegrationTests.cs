using System.Text.Json;
using KcryptPush.Integration.Tests.Fixtures;

namespace KcryptPush.Integration.Tests;

/// <summary><c>kcrypt-push-agent tpm info</c> as a process against a private swtpm, checked with openssl.</summary>
[Trait("Category", "Integration")]
public sealed class AgentTpmInfoIntegrationTests : IClassFixture<SwtpmClassFixture>
{
    private static readonly string AgentDll = Path.Combine(AppContext.BaseDirectory, "kcrypt-push-agent.dll");

    private readonly SwtpmClassFixture _f;

    public AgentTpmInfoIntegrationTests(SwtpmClassFixture fixture) => _f = fixture;

    private static ProcessResult Agent(params string[] args) =>
        ProcessRunner.Run("dotnet", [AgentDll, .. args], environment: new Dictionary<string, string>
        {
            ["KCRYPTPUSH_TPM"] = "",
            ["KCRYPTPUSH_EK"] = "",
        });

    [Theory]
    [InlineData("rsa", "0x01c00002")]
    [InlineData("ecc384", "0x01c00016")]
    public void The_tpm_hash_is_sha256_of_the_provisioned_certificates_public_key_as_openssl_computes_it(string ek, string certIndex)
    {
        ProcessResult info = Agent("tpm", "info", "--tpm", _f.Tpm.TpmUri, "--ek", ek, "--json");
        Assert.True(info.ExitCode == 0, info.StdErr);
        using JsonDocument doc = JsonDocument.Parse(info.StdOut);
        JsonElement root = doc.RootElement;

        string cert = _f.Tools.PathOf($"ek-{ek}.der");
        _f.Tools.Run("nvread", certIndex, "-o", cert);
        ProcessResult openssl = ProcessRunner.RunChecked(
            "sh",
            ["-c", $"openssl x509 -inform DER -in '{cert}' -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum"]);
        string expected = openssl.StdOut.Split(' ')[0];

        Assert.Equal(64, expected.Length);
        Assert.Equal(expected, root.GetProperty("tpmHash").GetString());
        Assert.Equal(ek, root.GetProperty("ekType").GetString());
        Assert.Equal("IBM", root.GetProperty("manufacturer").GetString());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("firmware").GetString()));
        Assert.Equal(["sha1", "sha256"], root.GetProperty("banks").EnumerateArray().Select(e => e.GetString()));
        Assert.True(root.GetProperty("ekCertificate").GetBoolean());
    }

    [Fact]
    public void The_p256_ek_has_no_provisioned_certificate_and_a_different_tpm_hash()
    {
        ProcessResult ecc = Agent("tpm", "info", "--tpm", _f.Tpm.TpmUri, "--ek", "ecc", "--json");
        ProcessResult rsa = Agent("tpm", "info", "--tpm", _f.Tpm.TpmUri, "--json");
        Assert.True(ecc.ExitCode == 0, ecc.StdErr);
        Assert.True(rsa.ExitCode == 0, rsa.StdErr);
        using JsonDocument e = JsonDocument.Parse(ecc.StdOut);
        using JsonDocument r = JsonDocument.Parse(rsa.StdOut);

        Assert.False(e.RootElement.GetProperty("ekCertificate").GetBoolean());
        Assert.Equal("rsa", r.RootElement.GetProperty("ekType").GetString());
        Assert.NotEqual(r.RootElement.GetProperty("tpmHash").GetString(), e.RootElement.GetProperty("tpmHash").GetString());
    }

    [Fact]
    public void The_text_output_names_manufacturer_firmware_banks_ek_type_and_hash()
    {
        ProcessResult info = Agent("tpm", "info", "--tpm", _f.Tpm.TpmUri);

        Assert.Equal(0, info.ExitCode);
        Assert.Contains("manufacturer:   IBM", info.StdOut, StringComparison.Ordinal);
        Assert.Contains("pcr banks:      sha1, sha256", info.StdOut, StringComparison.Ordinal);
        Assert.Contains("ek type:        rsa", info.StdOut, StringComparison.Ordinal);
        Assert.Matches("tpm hash: +[0-9a-f]{64}", info.StdOut);
    }

    [Theory]
    [InlineData("dsa")]
    [InlineData("RSA")]
    [InlineData("")]
    public void A_bad_ek_value_exits_2_with_one_stderr_line(string ek)
    {
        ProcessResult info = Agent("tpm", "info", "--tpm", _f.Tpm.TpmUri, "--ek", ek);

        Assert.Equal(2, info.ExitCode);
        Assert.Single(info.StdErr.TrimEnd().Split('\n'));
        Assert.Empty(info.StdOut);
    }

    [Fact]
    public void A_bad_tpm_address_exits_2()
    {
        ProcessResult info = Agent("tpm", "info", "--tpm", "tcp:127.0.0.1:1");

        Assert.Equal(2, info.ExitCode);
        Assert.Contains("swtpm:HOST:PORT", info.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreachable_tpm_exits_1_with_one_stderr_line()
    {
        int port;
        using (var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            l.Start();
            port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        }

        ProcessResult info = Agent("tpm", "info", "--tpm", $"swtpm:127.0.0.1:{port}");

        Assert.Equal(1, info.ExitCode);
        Assert.Single(info.StdErr.TrimEnd().Split('\n'));
        Assert.Contains($"127.0.0.1:{port}", info.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_tpm_and_ek_default_from_the_environment()
    {
        ProcessResult info = ProcessRunner.Run("dotnet", [AgentDll, "tpm", "info", "--json"], environment: new Dictionary<string, string>
        {
            ["KCRYPTPUSH_TPM"] = _f.Tpm.TpmUri,
            ["KCRYPTPUSH_EK"] = "ecc384",
        });

        Assert.True(info.ExitCode == 0, info.StdErr);
        using JsonDocument doc = JsonDocument.Parse(info.StdOut);
        Assert.Equal("ecc384", doc.RootElement.GetProperty("ekType").GetString());
    }
}
