using KcryptPush.Integration.Tests.Fixtures;

namespace KcryptPush.Integration.Tests.Broker;

/// <summary>A bad <c>Broker:ClusterNodes</c> stops a service or the agent at start with exit 2 and one clear line (no stack trace), like the other Broker options.</summary>
[Trait("Category", "Integration")]
public sealed class ClusterNodesOptionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kcp-it-cluster-option-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("registrar")]
    [InlineData("verifier")]
    [InlineData("agent")]
    public void A_bad_node_list_is_a_usage_error(string service)
    {
        string[] args = service switch
        {
            "agent" => [KcryptPushBinaries.Agent, "run", "--broker", "amqp://u:p@127.0.0.1:1/", "--tpm", "swtpm:127.0.0.1:1"],
            _ => [service == "registrar" ? KcryptPushBinaries.Registrar : KcryptPushBinaries.Verifier,
                "run", "--broker", "amqp://u:p@127.0.0.1:1/", "--db", Path.Combine(_dir, service + ".db"), "--http", "off"],
        };
        ProcessResult r = ProcessRunner.Run("dotnet", args,
            environment: new Dictionary<string, string> { ["KCRYPTPUSH_Broker__ClusterNodes"] = "127.0.0.1:10002,user:pw@127.0.0.1:10003" },
            timeout: TimeSpan.FromSeconds(60));
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}\n{r.StdOut}\n{r.StdErr}");
        Assert.Contains("Broker:ClusterNodes must be host:port", r.StdErr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, r.StdOut.Trim());
        Assert.DoesNotContain(" at ", r.StdErr, StringComparison.Ordinal); // no stack trace
    }
}
