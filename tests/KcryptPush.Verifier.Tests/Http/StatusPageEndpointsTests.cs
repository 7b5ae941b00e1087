using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Http;
using KcryptPush.Verifier.Tests.Operator;

namespace KcryptPush.Verifier.Tests.Http;

/// <summary>
/// The status page's routes over a real verifier.db: the JSON is byte for byte what <c>nodes list --json</c>
/// and <c>nodes show --json</c> print (the command line gets the same records over the bus and writes them
/// with Web defaults, indented); every response carries the strict CSP; the embedded page refers to
/// nothing outside the verifier, has no inline script and never hands node data to an HTML parser.
/// </summary>
[Trait("Category", "Unit")]
public sealed partial class StatusPageEndpointsTests
{
    private static readonly JsonSerializerOptions CliJson = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    [Fact]
    public async Task Api_nodes_is_the_document_nodes_list_json_prints_and_api_node_the_one_nodes_show_json_prints()
    {
        await using OperatorHarness h = await OperatorHarness.StartAsync();
        string held = h.Enrol("held-<b>node</b>");
        h.Enrol("pending");
        Assert.True(h.Operations.Quarantine(new QuarantineNode(held, "disk stolen", "alice")).Result.Succeeded);
        await using StatusPageServer server = await StatusPageServer.StartAsync(h.Operations);
        using var http = new HttpClient();

        // What the CLI prints: the NodeList the operator queue answers, its nodes written as NodesOutput writes them.
        NodeList overTheBus = await h.Ask<ListNodes, NodeList>(new ListNodes());
        string list = await http.GetStringAsync(server.BaseUrl + StatusPageEndpoints.NodesPath);
        Assert.Equal(JsonSerializer.Serialize(overTheBus.Nodes, CliJson), list);
        using (JsonDocument doc = JsonDocument.Parse(list))
        {
            JsonElement node = doc.RootElement.EnumerateArray().Single(n => n.GetProperty("tpmHash").GetString() == held);
            Assert.Equal(NodeStates.Quarantined, node.GetProperty("state").GetString());
            Assert.Equal("held-<b>node</b>", node.GetProperty("hostname").GetString());
            Assert.Equal(AttestationReasonCodes.OperatorQuarantine, node.GetProperty("reasons")[0].GetProperty("code").GetString());
        }

        (NodeDetails? shown, _) = await h.Show(held);
        Assert.Equal(JsonSerializer.Serialize(shown, CliJson), await http.GetStringAsync($"{server.BaseUrl}{StatusPageEndpoints.NodesPath}/{held}"));

        HttpResponseMessage unknown = await http.GetAsync($"{server.BaseUrl}{StatusPageEndpoints.NodesPath}/{OperatorHarness.NewHash()}");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        HttpResponseMessage bad = await http.GetAsync($"{server.BaseUrl}{StatusPageEndpoints.NodesPath}/NOT-A-HASH");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("64 lowercase hex", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/", "text/html")]
    [InlineData("/node/0000000000000000000000000000000000000000000000000000000000000000", "text/html")]
    [InlineData("/assets/app.js", "text/javascript")]
    [InlineData("/assets/style.css", "text/css")]
    [InlineData("/api/nodes", "application/json")]
    public async Task Every_route_answers_with_the_strict_content_security_policy_and_no_caching(string path, string contentType)
    {
        await using OperatorHarness h = await OperatorHarness.StartAsync();
        await using StatusPageServer server = await StatusPageServer.StartAsync(h.Operations);
        using var http = new HttpClient();

        HttpResponseMessage r = await http.GetAsync(server.BaseUrl + path);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal(contentType, r.Content.Headers.ContentType!.MediaType);
        string csp = Assert.Single(r.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", Assert.Single(r.Headers.GetValues("X-Content-Type-Options")));
        Assert.True(r.Headers.CacheControl!.NoStore);
    }

    [Fact]
    public async Task The_page_is_read_only()
    {
        await using OperatorHarness h = await OperatorHarness.StartAsync();
        string node = h.Enrol("n");
        await using StatusPageServer server = await StatusPageServer.StartAsync(h.Operations);
        using var http = new HttpClient();

        foreach (string path in (string[])["/", StatusPageEndpoints.NodesPath, $"{StatusPageEndpoints.NodesPath}/{node}"])
        {
            using var content = new StringContent("{}");
            Assert.Equal(HttpStatusCode.MethodNotAllowed, (await http.PostAsync(server.BaseUrl + path, content)).StatusCode);
            Assert.Equal(HttpStatusCode.MethodNotAllowed, (await http.DeleteAsync(server.BaseUrl + path)).StatusCode);
        }

        Assert.NotNull(h.Operations.Show(node));
    }

    [Fact]
    public void The_embedded_page_loads_nothing_from_elsewhere_runs_no_inline_script_and_writes_node_data_only_as_text()
    {
        string html = Text("index.html"), js = Text("app.js"), css = Text("style.css");

        // Only this verifier: no scheme-qualified or protocol-relative address, no web font.
        foreach (string file in (string[])[html, js, css])
        {
            Assert.DoesNotMatch(ExternalAddress(), file);
            Assert.DoesNotContain("@import", file, StringComparison.Ordinal);
            Assert.DoesNotContain("@font-face", file, StringComparison.Ordinal);
        }

        // Scripts only by src (the CSP would block inline ones anyway; this keeps the page working under it).
        Assert.All(ScriptTag().Matches(html), m => Assert.Contains("src=\"/assets/", m.Value, StringComparison.Ordinal));
        Assert.DoesNotMatch(InlineHandler(), html);
        Assert.DoesNotContain("style=", html, StringComparison.Ordinal);

        // No API that parses a string as HTML or code.
        foreach (string sink in (string[])["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "DOMParser", "srcdoc"])
        {
            Assert.DoesNotContain(sink, js, StringComparison.Ordinal);
        }
    }

    private static string Text(string name) => System.Text.Encoding.UTF8.GetString(StatusPageEndpoints.Resource(name));

    [GeneratedRegex(@"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", RegexOptions.IgnoreCase)]
    private static partial Regex ExternalAddress();

    [GeneratedRegex(@"<script\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex ScriptTag();

    [GeneratedRegex(@"\son[a-z]+\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex InlineHandler();
}
