using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Messaging;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KcryptPush.Integration.Tests.Broker;

/// <summary>
/// <c>amqps://</c> to a private RabbitMQ whose certificate comes from a private CA
/// (<c>scripts/rabbitmq.sh start-tls</c>; the certificate names only <c>localhost</c>): trusted through
/// Broker:CaFile it carries requests and responses, in-process and between the real verifier and
/// <c>nodes list</c>; without the CA, with another CA, or under a name the certificate does not carry,
/// the connection is refused within the deadline and the log says why.
/// </summary>
[Trait("Category", "Integration")]
public sealed class BrokerTlsTests : IClassFixture<TlsBrokerFixture>, IDisposable
{
    internal static readonly TimeSpan RefusalDeadline = TimeSpan.FromSeconds(8);
    private readonly TlsBrokerFixture _broker;
    private readonly string _dir = Directory.CreateTempSubdirectory("kcp-tls-test-").FullName;

    public BrokerTlsTests(TlsBrokerFixture broker)
    {
        _broker = broker;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_request_and_its_response_cross_amqps_when_the_private_CA_is_trusted()
    {
        await using TestBus bus = TestBus.Create(_broker.AmqpsUri, ("Broker:CaFile", _broker.CaFile));
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await bus.Control.StartAsync(deadline.Token);

        var id = Guid.NewGuid();
        Response<TlsPong> pong = await bus.Client.GetResponse<TlsPong>(new TlsPing(id), deadline.Token);

        Assert.Equal(id, pong.Message.Id);
        Assert.DoesNotContain(bus.Logs, l => l.Contains("refusing the certificate", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_verifier_service_and_nodes_list_talk_over_amqps_with_the_CA_from_the_environment()
    {
        var env = new Dictionary<string, string?> { ["KCRYPTPUSH_Broker__CaFile"] = _broker.CaFile };
        using ServiceProcess verifier = ServiceProcess.Start(KcryptPushBinaries.Verifier, env,
            "run", "--broker", _broker.AmqpsUri, "--db", Path.Combine(_dir, "verifier.db"), "--interval", "60s");
        await _broker.WaitForConsumerAsync(KcryptPushQueues.VerifierOperator, TimeSpan.FromSeconds(60), verifier);

        (int code, string stdout, string stderr) = await ServiceProcess.RunAsync(KcryptPushBinaries.Verifier, env,
            "nodes", "list", "--broker", _broker.AmqpsUri, "--json", "--timeout", "20s");

        Assert.True(code == 0, $"nodes list exited {code}: {stderr}");
        Assert.StartsWith("[", stdout.TrimStart(), StringComparison.Ordinal);
        Assert.DoesNotContain("refusing the certificate", verifier.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_CaFile_the_private_CA_is_not_trusted_and_the_refusal_is_bounded_and_explained()
    {
        string reason = await RefusedAsync(_broker.AmqpsUri);

        Assert.Contains("does not chain to a root this system trusts", reason, StringComparison.Ordinal);
        Assert.Contains("Broker:CaFile", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nodes_list_without_the_CA_fails_with_exit_1_within_its_timeout()
    {
        var clock = Stopwatch.StartNew();
        (int code, _, string stderr) = await ServiceProcess.RunAsync(KcryptPushBinaries.Verifier, new Dictionary<string, string?>(),
            "nodes", "list", "--broker", _broker.AmqpsUri, "--timeout", "5s");

        Assert.Equal(1, code);
        Assert.Contains("cannot reach the broker at localhost:", stderr, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task The_verifier_service_without_the_CA_logs_why_it_refuses_the_broker()
    {
        using ServiceProcess verifier = ServiceProcess.Start(KcryptPushBinaries.Verifier, new Dictionary<string, string?>(),
            "run", "--broker", _broker.AmqpsUri, "--db", Path.Combine(_dir, "verifier.db"), "--interval", "60s");

        var clock = Stopwatch.StartNew();
        while (!verifier.Output.Contains("does not chain to a root this system trusts", StringComparison.Ordinal) && clock.Elapsed < TimeSpan.FromSeconds(40))
        {
            Assert.False(verifier.HasExited, verifier.Output);
            await Task.Delay(200);
        }

        Assert.Contains("Broker TLS: refusing the certificate of localhost:", verifier.Output, StringComparison.Ordinal);
        Assert.Contains("does not chain to a root this system trusts", verifier.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_CA_that_did_not_sign_the_broker_certificate_is_refused()
    {
        string otherCa = Path.Combine(_dir, "other-ca.pem");
        using (ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            // Same subject as the broker's CA: trust must come from the key and signature, not the name.
            using X509Certificate2 brokerCa = X509CertificateLoader.LoadCertificateFromFile(_broker.CaFile);
            var request = new CertificateRequest(brokerCa.SubjectName, key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            using X509Certificate2 ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
            await File.WriteAllTextAsync(otherCa, ca.ExportCertificatePem());
        }

        string reason = await RefusedAsync(_broker.AmqpsUri, ("Broker:CaFile", otherCa));

        Assert.Contains("does not chain to a CA in Broker:CaFile", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_the_certificate_does_not_name_is_refused_even_with_the_right_CA()
    {
        // The broker listens on 127.0.0.1 and its certificate names only localhost.
        string byAddress = _broker.AmqpsUri.Replace("@localhost:", "@127.0.0.1:", StringComparison.Ordinal);
        Assert.NotEqual(_broker.AmqpsUri, byAddress);

        string reason = await RefusedAsync(byAddress, ("Broker:CaFile", _broker.CaFile));

        Assert.Contains("does not name the host of Broker:Uri", reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("missing", "file not found")]
    [InlineData("not-pem", "no PEM CERTIFICATE in the file")]
    [InlineData("key-as-ca", "no PEM CERTIFICATE in the file")]
    public void A_CaFile_that_cannot_be_used_stops_the_service_at_start_with_its_name(string kind, string expected)
    {
        string path = Path.Combine(_dir, kind + ".pem");
        switch (kind)
        {
            case "not-pem":
                File.WriteAllText(path, "this is not a certificate\n");
                break;
            case "key-as-ca":
                File.Copy(Path.Combine(_broker.Directory, "tls", "server.key"), path);
                break;
        }

        OptionsValidationException e = Assert.Throws<OptionsValidationException>(() => Options(_broker.AmqpsUri, ("Broker:CaFile", path)));

        Assert.Contains($"Broker:CaFile {path}: {expected}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TLS_files_for_a_plain_amqp_broker_are_a_configuration_error()
    {
        OptionsValidationException e = Assert.Throws<OptionsValidationException>(() => Options(_broker.PlainUri, ("Broker:CaFile", _broker.CaFile)));

        Assert.Contains("Broker:Uri is amqp:// (plain TCP)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_client_certificate_whose_key_does_not_match_is_a_configuration_error()
    {
        string tls = Path.Combine(_broker.Directory, "tls");

        OptionsValidationException e = Assert.Throws<OptionsValidationException>(() => Options(_broker.AmqpsUri,
            ("Broker:ClientCertificateFile", Path.Combine(tls, "client.pem")), ("Broker:ClientKeyFile", Path.Combine(tls, "server.key"))));

        Assert.Contains("Broker:ClientCertificateFile", e.Message, StringComparison.Ordinal);
        Assert.Contains("the private key does not match the certificate", e.Message, StringComparison.Ordinal);

        // The matching key loads.
        Assert.Equal(Path.Combine(tls, "client.pem"), Options(_broker.AmqpsUri,
            ("Broker:ClientCertificateFile", Path.Combine(tls, "client.pem")), ("Broker:ClientKeyFile", Path.Combine(tls, "client.key"))).ClientCertificateFile);
    }

    [Fact]
    public async Task The_verifier_service_refuses_to_start_with_a_missing_CaFile()
    {
        string missing = Path.Combine(_dir, "absent-ca.pem");
        (int code, _, string stderr) = await ServiceProcess.RunAsync(KcryptPushBinaries.Verifier,
            new Dictionary<string, string?> { ["KCRYPTPUSH_Broker__CaFile"] = missing },
            "run", "--broker", _broker.AmqpsUri, "--db", Path.Combine(_dir, "verifier.db"));

        Assert.Equal(2, code);
        Assert.Contains($"invalid configuration: Broker:CaFile {missing}: file not found", stderr, StringComparison.Ordinal);
    }

    private static BrokerOptions Options(string uri, params (string Key, string Value)[] settings)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddKcryptPushBus(Configuration(uri, settings));
        using ServiceProvider provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<BrokerOptions>>().Value;
    }

    internal static IConfiguration Configuration(string uri, (string Key, string Value)[] settings) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection([KeyValuePair.Create("Broker:Uri", (string?)uri), .. settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))])
            .Build();

    /// <summary>Starts a bus that must not connect; returns the reason it logged for refusing the broker.</summary>
    internal static async Task<string> RefusedAsync(string uri, params (string Key, string Value)[] settings)
    {
        await using TestBus bus = TestBus.Create(uri, settings);
        using var deadline = new CancellationTokenSource(RefusalDeadline);
        var clock = Stopwatch.StartNew();

        Exception e = await Assert.ThrowsAnyAsync<Exception>(() => bus.Control.StartAsync(deadline.Token));

        Assert.True(clock.Elapsed < RefusalDeadline + TimeSpan.FromSeconds(10), $"start gave up after {clock.Elapsed}: {e.GetType().Name}");
        string[] refusals = bus.Logs.Where(l => l.Contains("Broker TLS: refusing the certificate", StringComparison.Ordinal)).ToArray();
        Assert.True(refusals.Length > 0, $"no refusal logged; start failed with {e}");
        return refusals[0];
    }

    internal sealed class TestBus : IAsyncDisposable
    {
        private readonly ServiceProvider _provider;
        private readonly LogCollector _logs;

        private TestBus(ServiceProvider provider, LogCollector logs)
        {
            _provider = provider;
            _logs = logs;
            Control = provider.GetRequiredService<IBusControl>();
            Client = provider.GetRequiredService<IRequestClient<TlsPing>>();
        }

        public IBusControl Control { get; }

        public IRequestClient<TlsPing> Client { get; }

        public IReadOnlyCollection<string> Logs => _logs.Lines;

        public static TestBus Create(string uri, params (string Key, string Value)[] settings)
        {
            string queue = $"kcrypt-push-tls-test-{Guid.NewGuid():N}";
            var logs = new LogCollector();
            var services = new ServiceCollection();
            services.AddLogging(l => l.AddProvider(logs));
            services.AddKcryptPushBus(Configuration(uri, settings), x =>
            {
                x.AddConsumer<TlsPingConsumer>().Endpoint(e => e.Name = queue);
                x.AddRequestClient<TlsPing>(new Uri($"queue:{queue}"));
            });
            return new TestBus(services.BuildServiceProvider(), logs);
        }

        public async ValueTask DisposeAsync()
        {
            using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(15)))
            {
                try
                {
                    await Control.StopAsync(stop.Token);
                }
                catch (OperationCanceledException)
                {
                    // A bus that never connected may not stop cleanly in time; the provider is disposed anyway.
                }
            }

            await _provider.DisposeAsync();
        }
    }

    private sealed class LogCollector : ILoggerProvider, ILogger
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public IReadOnlyCollection<string> Lines => _lines;

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            _lines.Enqueue(formatter(state, exception));
        }

        public void Dispose()
        {
        }
    }
}

/// <summary>
/// Mutual TLS: the broker (<c>ssl_options.fail_if_no_peer_cert = true</c>) refuses a client that
/// presents no certificate, and accepts the one from Broker:ClientCertificateFile/ClientKeyFile.
/// </summary>
[Trait("Category", "Integration")]
public sealed class BrokerTlsMutualTests : IClassFixture<MutualTlsBrokerFixture>
{
    private readonly MutualTlsBrokerFixture _broker;

    public BrokerTlsMutualTests(MutualTlsBrokerFixture broker)
    {
        _broker = broker;
    }

    private string ClientCertificate => Path.Combine(_broker.Directory, "tls", "client.pem");

    private string ClientKey => Path.Combine(_broker.Directory, "tls", "client.key");

    [Fact]
    public async Task Without_a_client_certificate_the_broker_refuses_the_connection_in_bounded_time()
    {
        await using BrokerTlsTests.TestBus bus = BrokerTlsTests.TestBus.Create(_broker.AmqpsUri, ("Broker:CaFile", _broker.CaFile));
        using var deadline = new CancellationTokenSource(BrokerTlsTests.RefusalDeadline);
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<Exception>(() => bus.Control.StartAsync(deadline.Token));

        Assert.True(clock.Elapsed < BrokerTlsTests.RefusalDeadline + TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");

        // The broker refused us, not we the broker.
        Assert.DoesNotContain(bus.Logs, l => l.Contains("refusing the certificate", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_the_client_certificate_a_request_and_its_response_cross()
    {
        await using BrokerTlsTests.TestBus bus = BrokerTlsTests.TestBus.Create(_broker.AmqpsUri,
            ("Broker:CaFile", _broker.CaFile), ("Broker:ClientCertificateFile", ClientCertificate), ("Broker:ClientKeyFile", ClientKey));
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await bus.Control.StartAsync(deadline.Token);

        var id = Guid.NewGuid();
        Response<TlsPong> pong = await bus.Client.GetResponse<TlsPong>(new TlsPing(id), deadline.Token);

        Assert.Equal(id, pong.Message.Id);
    }

    [Fact]
    public async Task The_client_certificate_does_not_replace_checking_the_broker()
    {
        // A client certificate with no CaFile: the broker's private CA is still not trusted.
        string reason = await BrokerTlsTests.RefusedAsync(_broker.AmqpsUri,
            ("Broker:ClientCertificateFile", ClientCertificate), ("Broker:ClientKeyFile", ClientKey));

        Assert.Contains("does not chain to a root this system trusts", reason, StringComparison.Ordinal);
    }
}

/// <summary>A request for the TLS round trip.</summary>
public sealed record TlsPing(Guid Id);

/// <summary>Its response.</summary>
public sealed record TlsPong(Guid Id);

/// <summary>Answers <see cref="TlsPing"/>.</summary>
public sealed class TlsPingConsumer : IConsumer<TlsPing>
{
    public Task Consume(ConsumeContext<TlsPing> context) => context.RespondAsync(new TlsPong(context.Message.Id));
}

/// <summary>
/// A private RabbitMQ with a TLS listener (<c>scripts/rabbitmq.sh start-tls DIR</c>, server certificate
/// for <c>DNS:localhost</c> only, signed by a CA made for it in DIR/tls), stopped by its PID file.
/// </summary>
public class TlsBrokerFixture : IAsyncLifetime
{
    private readonly bool _mutual;

    public TlsBrokerFixture()
        : this(mutual: false)
    {
    }

    /// <param name="mutual">The broker requires a client certificate signed by its CA (KCRYPT_RMQ_MTLS=1).</param>
    protected TlsBrokerFixture(bool mutual)
    {
        _mutual = mutual;
    }

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("kcp-rabbit-tls-").FullName;

    /// <summary>amqps://guest:guest@localhost:PORT/.</summary>
    public string AmqpsUri { get; private set; } = string.Empty;

    /// <summary>The plain listener of the same broker, amqp://guest:guest@127.0.0.1:PORT/.</summary>
    public string PlainUri { get; private set; } = string.Empty;

    public string CaFile => Path.Combine(Directory, "tls", "ca.pem");

    public async Task InitializeAsync()
    {
        (int code, string stdout, string stderr) = await RabbitMqFixture.RunScriptAsync(
            new Dictionary<string, string?> { ["KCRYPT_RMQ_TLS_NAMES"] = "DNS:localhost", ["KCRYPT_RMQ_MTLS"] = _mutual ? "1" : "0" }, "start-tls", Directory);
        if (code != 0)
        {
            throw new InvalidOperationException($"scripts/rabbitmq.sh start-tls failed ({code}): {stderr}");
        }

        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        AmqpsUri = lines[^1];
        PlainUri = lines[^2];
        if (!AmqpsUri.StartsWith("amqps://guest:guest@localhost:", StringComparison.Ordinal) || !PlainUri.StartsWith("amqp://", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"scripts/rabbitmq.sh start-tls printed: {stdout}");
        }
    }

    public async Task DisposeAsync()
    {
        await RabbitMqFixture.RunScriptAsync(new Dictionary<string, string?>(), "stop", Directory);
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // The broker may still be flushing its files; the temp dir is harmless.
        }
    }

    /// <summary>Waits until <paramref name="queue"/> has a consumer (the service is connected and listening).</summary>
    public async Task WaitForConsumerAsync(string queue, TimeSpan timeout, ServiceProcess service)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            (int code, string stdout, _) = await RabbitMqFixture.RunScriptAsync(new Dictionary<string, string?>(), "ctl", Directory, "list_queues", "-q", "--no-table-headers", "name", "consumers");
            if (code == 0 && stdout.Split('\n').Select(l => l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
                    .Any(f => f.Length == 2 && f[0] == queue && int.TryParse(f[1], out int n) && n > 0))
            {
                return;
            }

            if (service.HasExited || clock.Elapsed > timeout)
            {
                throw new TimeoutException($"{queue} has no consumer after {clock.Elapsed}; service output:\n{service.Output}");
            }

            await Task.Delay(300);
        }
    }
}

/// <summary>A TLS broker that refuses clients without a certificate from its CA.</summary>
public sealed class MutualTlsBrokerFixture : TlsBrokerFixture
{
    public MutualTlsBrokerFixture()
        : base(mutual: true)
    {
    }
}

/// <summary>A built executable run as <c>dotnet X.dll</c>, with only the broker settings the test gives.</summary>
public sealed class ServiceProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServiceProcess(Process process)
    {
        _process = process;
    }

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts a long-running command (e.g. <c>run</c>), collecting its output.</summary>
    public static ServiceProcess Start(string dll, IReadOnlyDictionary<string, string?> env, params string[] args)
    {
        var p = new ServiceProcess(Process.Start(Info(dll, env, args))!);
        p._process.OutputDataReceived += (_, e) => p.Append(e.Data);
        p._process.ErrorDataReceived += (_, e) => p.Append(e.Data);
        p._process.BeginOutputReadLine();
        p._process.BeginErrorReadLine();
        return p;
    }

    /// <summary>Runs a command to its end (at most 60 s).</summary>
    public static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string dll, IReadOnlyDictionary<string, string?> env, params string[] args)
    {
        using Process p = Process.Start(Info(dll, env, args))!;
        p.StandardInput.Close();
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await p.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(dll)} {string.Join(' ', args)} did not exit within 60 s");
        }

        return (p.ExitCode, await stdout, await stderr);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }

    private static ProcessStartInfo Info(string dll, IReadOnlyDictionary<string, string?> env, string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(dll);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        // Nothing from the test runner's environment: only what the test passes.
        foreach (string key in psi.Environment.Keys.Where(k => k.StartsWith("KCRYPTPUSH_", StringComparison.Ordinal)).ToArray())
        {
            psi.Environment.Remove(key);
        }

        // A free loopback port for its HTTP listener: the default 127.0.0.1:9464 may be held by
        // another service on this machine (a test class running beside this one).
        psi.Environment["KCRYPTPUSH_HTTP"] = "127.0.0.1:0";

        psi.Environment["USER"] = "test-runner";

        // A free port for the HTTP listener (other classes' services run beside these).
        psi.Environment[TestHttpListener.Variable] = "127.0.0.1:0";
        foreach ((string k, string? v) in env)
        {
            psi.Environment[k] = v;
        }

        return psi;
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}
