using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Integration.Tests.Observe;

namespace KcryptPush.Integration.Tests.StatusPage;

/// <summary>
/// The fleet status page end to end (issue 12 item 4): real broker, swtpms, registrar, verifier and
/// agents; one node reboots into another boot application after enrolment (as the quarantine tests
/// do) and headless Chromium, reading the verifier's own listener, must show it Quarantined with its
/// reason while the other stays Trusted; the screenshot is decoded and must not be blank. The page's
/// JSON is checked against what <c>nodes list --json</c> prints over the broker at the same time.
/// </summary>
[Trait("Category", "Integration")]
public sealed partial class StatusPageTests(StatusPageClassFixture f) : IClassFixture<StatusPageClassFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(150);

    [ChromiumFact]
    public async Task The_page_shows_the_node_with_an_altered_boot_Quarantined_with_its_reason_and_the_other_Trusted_and_the_screenshot_is_not_blank()
    {
        string good = f.TpmHashes[0], bad = f.TpmHashes[1];
        string page = f.VerifierUrl.ToString();

        // Both enrol and pass (TOFU) first: what the page shows then is the fleet before the change.
        await HeadlessChromium.WaitForDomAsync(page, d => State(d, good) == "Trusted" && State(d, bad) == "Trusted", Patience, f.Diagnostics);

        (byte[] altered, UntrustedEvent app) = EventLogSeeder.WithChangedDigest(f.Log, TcgEventType.EV_EFI_BOOT_SERVICES_APPLICATION);
        f.Reboot(1, altered);

        string dom = await HeadlessChromium.WaitForDomAsync(page, d => State(d, bad) == "Quarantined" && Row(d, bad).Contains("pcr-policy-violation", StringComparison.Ordinal), Patience, f.Diagnostics);
        string row = Row(dom, bad);
        Assert.Contains(StatusPageClassFixture.BadHostname, row, StringComparison.Ordinal);
        Assert.Matches($@"PCR sha(1|256):{app.PcrIndex} is ", row); // the failing PCR, from the published quarantine
        Assert.Equal("Trusted", State(dom, good));
        Assert.Contains(StatusPageClassFixture.GoodHostname, Row(dom, good), StringComparison.Ordinal);
        Assert.DoesNotContain("pcr-policy-violation", Row(dom, good), StringComparison.Ordinal);

        // The screenshot: a real rendering (many colours, not one background), with the Quarantined
        // badge's red (#b3261e, style.css) on it.
        string png = Path.Combine(f.Directory, "status-page.png");
        await HeadlessChromium.ScreenshotAsync(page, png);
        if (Environment.GetEnvironmentVariable("KCRYPT_TEST_STATUS_PAGE_PNG") is { Length: > 0 } keep)
        {
            File.Copy(png, keep, overwrite: true); // how docs/status-page.png was made
        }

        string json = (await ServiceHttp.GetAsync(f.VerifierUrl, "api/nodes")).Body;
        PngPixels image = PngPixels.Decode(await File.ReadAllBytesAsync(png));
        Assert.Equal((1280, 800), (image.Width, image.Height));
        int colours = image.DistinctColours();
        double inked = image.ShareNotBackground();
        int red = image.Count(0xb3, 0x26, 0x1e);
        Console.WriteLine($"status page screenshot: {new FileInfo(png).Length} bytes, {colours} distinct colours, {inked:P1} not background, {red} badge-red pixels");
        Assert.True(colours >= 32, $"only {colours} distinct colours: blank page?");
        Assert.True(inked > 0.02, $"only {inked:P2} of the pixels differ from the background");
        Assert.True(red > 100, $"only {red} pixels of the Quarantined badge's red; the fleet now: {json}");

        // The node's own page: its history with the failed attestation and its audit (enrolment, learned PCRs).
        string nodePage = await HeadlessChromium.WaitForDomAsync(new Uri(f.VerifierUrl, $"node/{bad}").ToString(),
            d => Section(d, "history").Contains("pcr-policy-violation", StringComparison.Ordinal), Patience, f.Diagnostics);
        Assert.True(nodePage.Contains($"id=\"node\" data-tpm-hash=\"{bad}\"", StringComparison.Ordinal), nodePage);
        Match why = Regex.Match(nodePage, "<h2>Why (Quarantined|Silent)</h2><ul class=\"why\">.*?</ul>", RegexOptions.Singleline);
        Assert.True(why.Success && why.Value.Contains("<span class=\"code\">pcr-policy-violation</span>", StringComparison.Ordinal), nodePage);
        Assert.True(Section(nodePage, "audit").Contains("<td>registrar</td><td>enrolled</td>", StringComparison.Ordinal), nodePage);
        Assert.Contains("\u2192", Section(nodePage, "audit"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_page_json_is_what_nodes_list_json_prints_over_the_broker()
    {
        string bad = f.TpmHashes[1];
        await ServiceHttp.PollAsync(() => ServiceHttp.GetAsync(f.VerifierUrl, "api/nodes"),
            r => r.Status == HttpStatusCode.OK && Nodes(r.Body).Length == 2, Patience, r => $"{r.Status} {r.Body}\n{f.Diagnostics()}");

        // The times move with every attestation; everything else must be the same document.
        for (int attempt = 0; ; attempt++)
        {
            (HttpStatusCode status, string body) = await ServiceHttp.GetAsync(f.VerifierUrl, "api/nodes");
            ProcessResult cli = ProcessRunner.RunChecked("dotnet", [KcryptPushBinaries.Verifier, "nodes", "list", "--json", "--broker", f.Roles["operator"]]);
            Assert.Equal(HttpStatusCode.OK, status);
            string[] page = Stable(body), printed = Stable(cli.StdOut);
            if (page.SequenceEqual(printed) || attempt == 5)
            {
                Assert.Equal(printed, page);
                break;
            }

            await Task.Delay(500); // a state changed between the two reads
        }

        (HttpStatusCode one, string shown) = await ServiceHttp.GetAsync(f.VerifierUrl, $"api/nodes/{bad}");
        Assert.Equal(HttpStatusCode.OK, one);
        using JsonDocument doc = JsonDocument.Parse(shown);
        Assert.Equal(bad, doc.RootElement.GetProperty("tpmHash").GetString());
        Assert.True(doc.RootElement.TryGetProperty("audit", out _));
    }

    private static JsonElement[] Nodes(string json)
    {
        using JsonDocument doc = JsonDocument.Parse(json);
        return [.. doc.RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    // Each node without its moving parts (last attestation time and verdict), as compact JSON.
    private static string[] Stable(string json) => [.. Nodes(json).Select(n =>
        JsonSerializer.Serialize(n.EnumerateObject().Where(p => p.Name is not ("lastAttestationAt" or "lastVerdict")).ToDictionary(p => p.Name, p => p.Value)))];

    private static string Row(string dom, string hash) =>
        RowPattern().Matches(dom).FirstOrDefault(m => m.Value.Contains($"data-tpm-hash=\"{hash}\"", StringComparison.Ordinal))?.Value ?? "";

    private static string? State(string dom, string hash) =>
        Regex.Match(Row(dom, hash), "^<tr[^>]*data-state=\"(?<s>[A-Za-z]+)\"") is { Success: true } m ? m.Groups["s"].Value : null;

    private static string Section(string dom, string id) =>
        Regex.Match(dom, $"<table id=\"{id}\".*?</table>", RegexOptions.Singleline) is { Success: true } m ? m.Value : "";

    [GeneratedRegex("<tr class=\"node[^>]*>.*?</tr>", RegexOptions.Singleline)]
    private static partial Regex RowPattern();
}
