using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Operator;
using KcryptPush.Verifier.Tests.Operator;

namespace KcryptPush.Verifier.Tests.Http;

/// <summary>
/// The page in a real browser (headless Chromium) over a real verifier.db: what a node reports about
/// itself is shown as text, never run or parsed as markup, on the fleet page and on the node's page.
/// The markers below would set a <c>data-xss</c> attribute on the body if any of them ever executed.
/// </summary>
[Trait("Category", "Integration")]
public sealed class StatusPageBrowserTests
{
    private const string Hostname = "<script>document.body.setAttribute('data-xss','script')</script><img src=x onerror=\"document.body.setAttribute('data-xss','img')\">";
    private const string Reason = "<img src=y onerror=\"document.body.setAttribute('data-xss','reason')\"><b>bold</b>";

    private static readonly BrokenEvent Event = new(7, 4, "EV_EFI_BOOT_SERVICES_APPLICATION", "<svg onload=\"document.body.setAttribute('data-xss','event')\">");

    [ChromiumFact]
    public async Task Markup_in_a_hostname_reasons_and_event_data_renders_as_text_on_the_fleet_page_and_the_node_page()
    {
        await using OperatorHarness h = await OperatorHarness.StartAsync();
        var quarantines = new QuarantineDetails();
        var operations = new NodeOperations(h.Store, h.Key, h.Time, quarantines: quarantines);
        string hash = h.Enrol(Hostname);
        Assert.True(operations.Quarantine(new QuarantineNode(hash, Reason, "mallory")).Result.Succeeded);
        quarantines.Seen(new NodeQuarantined(hash, Hostname, ["pcr-policy-violation"], [new AttestationReason("pcr-policy-violation", Reason)],
            [new PcrMismatch("sha256", 4, new string('a', 64), new string('b', 64))], Event, NodeStates.Trusted, h.Time.GetUtcNow()));
        await using StatusPageServer server = await StatusPageServer.StartAsync(operations);

        foreach (string url in (string[])[server.BaseUrl + "/", $"{server.BaseUrl}/node/{hash}"])
        {
            string dom = await HeadlessChromium.WaitForDomAsync(url, d => d.Contains("data-state=\"Quarantined\"", StringComparison.Ordinal), TimeSpan.FromSeconds(60));

            // The text is there, escaped by the serialiser because it is text; no element was made from it.
            Assert.Contains("&lt;script&gt;document.body.setAttribute('data-xss','script')&lt;/script&gt;&lt;img src=x onerror=\"document.body.setAttribute('data-xss','img')\"&gt;", dom, StringComparison.Ordinal);
            Assert.Contains("&lt;img src=y onerror=", dom, StringComparison.Ordinal);
            Assert.Contains("&lt;svg onload=", dom, StringComparison.Ordinal);
            Assert.DoesNotContain("data-xss=", dom, StringComparison.Ordinal);
            Assert.DoesNotContain("<img", dom, StringComparison.Ordinal);
            Assert.DoesNotContain("<svg", dom, StringComparison.Ordinal);
            Assert.DoesNotContain("<b>bold", dom, StringComparison.Ordinal);
            Assert.Equal(1, Count(dom, "<script")); // the page's own app.js only
        }
    }

    private static int Count(string text, string what)
    {
        int n = 0;
        for (int at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + 1, StringComparison.Ordinal))
        {
            n++;
        }

        return n;
    }
}
