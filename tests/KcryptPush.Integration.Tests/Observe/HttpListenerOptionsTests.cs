using System.Globalization;
using System.Net;
using KcryptPush.Integration.Tests.Fixtures;

namespace KcryptPush.Integration.Tests.Observe;

/// <summary>
/// The verifier's and registrar's <c>--http</c>: a non-loopback address needs the bearer token
/// (and /healthz, /readyz stay open), <c>off</c> opens no port, a bad value is a clear usage error.
/// No broker is needed: the listener serves while the bus retries its connection.
/// </summary>
[Trait("Category", "Integration")]
public sealed class HttpListenerOptionsTests : IDisposable
{
    private const string NoBroker = "amqp://guest:guest@127.0.0.1:1/";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("kcp-it-http-").FullName;

    public static TheoryData<string> Services => new() { "verifier", "registrar" };

    [Theory]
    [MemberData(nameof(Services))]
    public void A_non_loopback_address_without_a_token_refuses_to_start(string service)
    {
        ProcessResult r = ProcessRunner.Run("dotnet", Run(service, "0.0.0.0:0"), environment: NoToken(), timeout: StartTimeout);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("is not a loopback address: set a bearer token", r.StdErr, StringComparison.Ordinal);
        Assert.Contains("KCRYPTPUSH_HTTP_TOKEN", r.StdErr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, r.StdOut);
    }

    [Theory]
    [MemberData(nameof(Services))]
    public async Task On_a_non_loopback_address_every_route_but_the_probes_needs_the_bearer_token(string service)
    {
        string token = Guid.NewGuid().ToString("N");
        using ServiceProcess p = ServiceProcess.Start(service, "dotnet", Run(service, "0.0.0.0:0"),
            new Dictionary<string, string?> { ["KCRYPTPUSH_HTTP_TOKEN"] = token });
        Uri url = await ServiceHttp.UrlAsync(p, StartTimeout);
        url = new Uri($"http://127.0.0.1:{url.Port.ToString(CultureInfo.InvariantCulture)}/");

        Assert.Equal(HttpStatusCode.Unauthorized, (await ServiceHttp.GetAsync(url, "metrics")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await ServiceHttp.GetAsync(url, "metrics", bearer: token + "x")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await ServiceHttp.GetAsync(url, "", bearer: "wrong")).Status);
        Assert.Equal(HttpStatusCode.OK, (await ServiceHttp.GetAsync(url, "metrics", bearer: token)).Status);
        Assert.Equal(HttpStatusCode.OK, (await ServiceHttp.GetAsync(url, "healthz")).Status);

        // No broker here: unready, but the probe answers without the token.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await ServiceHttp.GetAsync(url, "readyz")).Status);
    }

    [Fact]
    public async Task A_browser_posts_the_token_once_and_then_opens_the_page_with_its_session_cookie()
    {
        string token = Guid.NewGuid().ToString("N");
        using ServiceProcess p = ServiceProcess.Start("verifier", "dotnet", Run("verifier", "0.0.0.0:0"),
            new Dictionary<string, string?> { ["KCRYPTPUSH_HTTP_TOKEN"] = token });
        Uri url = await ServiceHttp.UrlAsync(p, StartTimeout);
        url = new Uri($"http://127.0.0.1:{url.Port.ToString(CultureInfo.InvariantCulture)}/");
        var cookies = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = url, Timeout = TimeSpan.FromSeconds(20) };
        browser.DefaultRequestHeaders.Accept.ParseAdd("text/html");

        // Refused, with a form to post the token to (the token itself is nowhere on the page).
        using (HttpResponseMessage page = await browser.GetAsync(new Uri("", UriKind.Relative)))
        {
            string html = await page.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.Unauthorized, page.StatusCode);
            Assert.Contains("<form method=\"post\" action=\"/login\">", html, StringComparison.Ordinal);
            Assert.DoesNotContain(token, html, StringComparison.Ordinal);
        }

        // A wrong token sets nothing.
        using (HttpResponseMessage wrong = await browser.PostAsync(new Uri("login", UriKind.Relative), new FormUrlEncodedContent([new("token", token + "x")])))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            Assert.Empty(cookies.GetCookies(url));
        }

        // The right one: a redirect to the page and an HttpOnly, SameSite=Strict cookie that is not the token.
        using (HttpResponseMessage login = await browser.PostAsync(new Uri("login", UriKind.Relative), new FormUrlEncodedContent([new("token", token)])))
        {
            Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
            Assert.Equal("/", login.Headers.Location?.OriginalString);
            string setCookie = Assert.Single(login.Headers.GetValues("Set-Cookie"));
            Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(token, setCookie, StringComparison.Ordinal);
        }

        using (HttpResponseMessage page = await browser.GetAsync(new Uri("", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("text/html", page.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        }

        using (HttpResponseMessage metrics = await browser.GetAsync(new Uri("metrics", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        }

        // A forged cookie value is refused like no cookie.
        var forged = new CookieContainer();
        forged.Add(url, new Cookie("kcrypt-push-session", new string('0', 64)));
        using var other = new HttpClient(new HttpClientHandler { CookieContainer = forged, AllowAutoRedirect = false }) { BaseAddress = url, Timeout = TimeSpan.FromSeconds(20) };
        using HttpResponseMessage refused = await other.GetAsync(new Uri("metrics", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("bearer token required\n", await refused.Content.ReadAsStringAsync());
    }

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Off_opens_no_port(string service)
    {
        using ServiceProcess p = ServiceProcess.Start(service, "dotnet", Run(service, "off"), NoTokenVariable());
        await p.WaitForOutputAsync("HTTP listener off", StartTimeout);

        // Give a listener that should not exist time to appear, then look at the process's sockets.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.False(p.HasExited, p.Output);
        Assert.Empty(ListeningTcpPorts(p.Pid));
        Assert.DoesNotContain("Now listening on", p.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_default_listener_is_found_by_the_same_check_that_proves_off_opens_nothing()
    {
        // Guards the test above: the socket check sees a listener when there is one.
        using ServiceProcess p = ServiceProcess.Start("verifier", "dotnet", Run("verifier", "127.0.0.1:0"), NoTokenVariable());
        Uri url = await ServiceHttp.UrlAsync(p, StartTimeout);
        Assert.Contains(url.Port, ListeningTcpPorts(p.Pid));
    }

    [Theory]
    [InlineData("verifier", "run", "nonsense", "expected HOST:PORT")]
    [InlineData("verifier", "run", "127.0.0.1:99999", "is not a port")]
    [InlineData("verifier", "run", "example.org:9464", "is not an IP address")]
    [InlineData("registrar", "run", "127.0.0.1:", "expected HOST:PORT")]
    [InlineData("verifier", "ready", "1.2.3:80", "is not an IP address")]
    [InlineData("registrar", "ready", "off", "the HTTP listener is off")]
    public void A_bad_http_value_is_a_usage_error_naming_the_setting(string service, string command, string value, string why)
    {
        string[] args = command == "run" ? Run(service, value) : [Binary(service), "ready", "--http", value];
        ProcessResult r = ProcessRunner.Run("dotnet", args, environment: NoToken(), timeout: StartTimeout);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(why, r.StdErr, StringComparison.Ordinal);
        Assert.Contains($"kcrypt-push-{service}:", r.StdErr, StringComparison.Ordinal);
        Assert.Single(r.StdErr.TrimEnd('\n').Split('\n'));
    }

    [Theory]
    [InlineData("verifier", "0")]
    [InlineData("verifier", "5x")]
    [InlineData("registrar", "1e3s")]
    [InlineData("registrar", "8d")]
    public void Ready_with_a_timeout_that_is_not_a_duration_is_a_usage_error(string service, string timeout)
    {
        ProcessResult r = ProcessRunner.Run("dotnet", [Binary(service), "ready", "--http", "127.0.0.1:1", "--timeout", timeout], environment: NoToken(), timeout: StartTimeout);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"kcrypt-push-{service}: --timeout: '{timeout}'", r.StdErr, StringComparison.Ordinal);
        Assert.Single(r.StdErr.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void Ready_against_nothing_listening_is_unready()
    {
        ProcessResult r = ProcessRunner.Run("dotnet", [KcryptPushBinaries.Verifier, "ready", "--http", "127.0.0.1:1", "--timeout", "1500ms"], environment: NoToken(), timeout: StartTimeout);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("unreachable", r.StdErr, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string Binary(string service) => service == "verifier" ? KcryptPushBinaries.Verifier : KcryptPushBinaries.Registrar;

    private string[] Run(string service, string http) => service == "verifier"
        ? [KcryptPushBinaries.Verifier, "run", "--broker", NoBroker, "--db", Path.Combine(_dir, $"verifier-{Guid.NewGuid():N}.db"), "--http", http]
        : [KcryptPushBinaries.Registrar, "run", "--broker", NoBroker, "--db", Path.Combine(_dir, $"registrar-{Guid.NewGuid():N}.db"),
            "--ek-ca-dir", Directory.CreateDirectory(Path.Combine(_dir, "ek-ca")).FullName, "--http", http];

    private static Dictionary<string, string> NoToken() => new() { ["KCRYPTPUSH_HTTP_TOKEN"] = "" };

    private static Dictionary<string, string?> NoTokenVariable() => new() { ["KCRYPTPUSH_HTTP_TOKEN"] = null };

    // The TCP ports in LISTEN state (0A) whose socket inode is one of the process's descriptors.
    private static HashSet<int> ListeningTcpPorts(int pid)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (string fd in Directory.GetFiles($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/fd"))
        {
            if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:[", StringComparison.Ordinal))
            {
                inodes.Add(target["socket:[".Length..^1]);
            }
        }

        var ports = new HashSet<int>();
        foreach (string table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table))
            {
                continue;
            }

            foreach (string line in File.ReadLines(table).Skip(1))
            {
                string[] cols = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (cols.Length > 9 && cols[3] == "0A" && inodes.Contains(cols[9]))
                {
                    ports.Add(int.Parse(cols[1].Split(':')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                }
            }
        }

        return ports;
    }
}
