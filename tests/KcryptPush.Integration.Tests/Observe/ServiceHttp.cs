using System.Net;
using System.Text.RegularExpressions;
using KcryptPush.Integration.Tests.Fixtures;

namespace KcryptPush.Integration.Tests.Observe;

/// <summary>The HTTP side of a service process started with <c>--http 127.0.0.1:0</c>: its bound URL (from its log line) and GETs.</summary>
public static partial class ServiceHttp
{
    private static readonly HttpClient Client = new() { Timeout = TimeSpan.FromSeconds(20) };

    /// <summary>Waits for the service's "HTTP listening on URL" line and returns URL.</summary>
    public static async Task<Uri> UrlAsync(ServiceProcess service, TimeSpan timeout)
    {
        await service.WaitForOutputAsync("HTTP listening on http://", timeout);
        Match m = Listening().Match(service.Output);
        return new Uri(m.Groups["url"].Value.TrimEnd('/') + "/");
    }

    public static async Task<(HttpStatusCode Status, string Body)> GetAsync(Uri baseUrl, string path, string? bearer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseUrl, path));
        if (bearer is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        }

        using HttpResponseMessage response = await Client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public static async Task<PrometheusText> MetricsAsync(Uri baseUrl, string? bearer = null)
    {
        (HttpStatusCode status, string body) = await GetAsync(baseUrl, "metrics", bearer);
        Assert.True(status == HttpStatusCode.OK, $"/metrics answered {(int)status}: {body}");
        return PrometheusText.Parse(body);
    }

    /// <summary>Polls until <paramref name="done"/> holds, or fails with what was seen last.</summary>
    public static async Task<T> PollAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout, Func<T, string> describe)
    {
        DateTime until = DateTime.UtcNow + timeout;
        T last = await read();
        while (!done(last))
        {
            if (DateTime.UtcNow > until)
            {
                Assert.Fail($"not reached within {timeout}: {describe(last)}");
            }

            await Task.Delay(500);
            last = await read();
        }

        return last;
    }

    [GeneratedRegex(@"HTTP listening on (?<url>http://[^\s]+)")]
    private static partial Regex Listening();
}
