using System.Net;
using System.Text.Json;
using KcryptPush.Integration.Tests.Fixtures;

namespace KcryptPush.Integration.Tests.Observe;

/// <summary>
/// Issue 12, "What must show": /metrics after a real attestation (agent on swtpm, real broker,
/// registrar and verifier processes) has the counters moved with the right labels, and /readyz
/// turns unready when the broker stops and ready again when it returns.
/// </summary>
[Trait("Category", "Integration")]
public sealed class MetricsAndReadinessTests(ObserveClassFixture f) : IClassFixture<ObserveClassFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task After_a_node_attests_the_metrics_count_it_by_verdict_stage_state_and_published_event()
    {
        PrometheusText m = await ServiceHttp.PollAsync(() => ServiceHttp.MetricsAsync(f.VerifierUrl),
            t => t.Sum("kcrypt_push_attestations_total", "verdict=pass", "reason=") >= 1
                && t.Sum("kcrypt_push_nodes", "state=Trusted") == 1
                && t.Sum("kcrypt_push_verdict_events_published_total", "type=NodeTrusted") >= 1,
            Patience, t => t.Text + f.Diagnostics());

        // No label names a node; the verdict is a label value, the reason empty on a pass.
        Assert.DoesNotContain(f.TpmHash, m.Text, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, m.Sum("kcrypt_push_attestations_total", "verdict=fail"));
        Assert.Equal(0, m.Sum("kcrypt_push_nodes", "state=Quarantined"));
        Assert.Equal(0, m.Sum("kcrypt_push_nodes", "state=Pending"));

        // The first quote carries the log; its bytes are counted.
        Assert.True(m.Sum("kcrypt_push_event_logs_received_total") >= 1, m.Text);
        Assert.True(m.Sum("kcrypt_push_event_log_bytes_total") >= f.Log.Length, m.Text);

        // Each stage of a judged quote was timed (a histogram: _count and buckets per stage).
        foreach (string stage in new[] { "quote", "replay", "policy", "store" })
        {
            Assert.True(m.Sum("kcrypt_push_verification_duration_seconds_count", $"stage={stage}") >= 1, $"stage {stage}:\n{m.Text}");
            Assert.True(m.Find("kcrypt_push_verification_duration_seconds_bucket", $"stage={stage}", "le=+Inf").Any(), $"stage {stage} buckets:\n{m.Text}");
        }

        // The next challenge was issued and is open; nothing is owed once NodeTrusted was confirmed.
        m = await ServiceHttp.PollAsync(() => ServiceHttp.MetricsAsync(f.VerifierUrl),
            t => t.Sum("kcrypt_push_verdict_events_owed") == 0, Patience, t => t.Text);
        Assert.Equal(0, m.Sum("kcrypt_push_verdict_outbox_oldest_seconds"));
        Assert.True(m.Sum("kcrypt_push_challenges_outstanding") >= 1, m.Text);
        Assert.Equal(1, m.Sum("kcrypt_push_broker_connected"));

        // The queue's wait, from the sent time the agent writes in its envelope: the agent passes every
        // 2 s, so a scrape soon sees a quote of the last 5 s, which waited a little (never hours: a sent
        // time read in the wrong time zone would show here).
        m = await ServiceHttp.PollAsync(() => ServiceHttp.MetricsAsync(f.VerifierUrl),
            t => t.Sum("kcrypt_push_attestation_queue_lag_seconds") > 0, Patience, t => t.Text + f.Diagnostics());
        Assert.InRange(m.Sum("kcrypt_push_attestation_queue_lag_seconds"), 0, 5);

        // The registrar counted the enrolment.
        PrometheusText r = await ServiceHttp.MetricsAsync(f.RegistrarUrl);
        Assert.Equal(1, r.Sum("kcrypt_push_enrolments_total", "outcome=enrolled", "reason="));
        Assert.Equal(0, r.Sum("kcrypt_push_enrolments_total", "outcome=rejected"));
        Assert.Equal(1, r.Sum("kcrypt_push_broker_connected"));
    }

    [Fact]
    public async Task Readyz_turns_unready_naming_the_broker_while_it_is_stopped_and_ready_when_it_returns()
    {
        await WaitReadyAsync(f.VerifierUrl);
        await WaitReadyAsync(f.RegistrarUrl);
        Assert.Equal(0, Ready(f.VerifierUrl).ExitCode);
        Assert.Equal(HttpStatusCode.OK, (await ServiceHttp.GetAsync(f.VerifierUrl, "healthz")).Status);

        await f.Broker.StopAsync();
        try
        {
            foreach (Uri url in new[] { f.VerifierUrl, f.RegistrarUrl })
            {
                (HttpStatusCode status, string body) = await ServiceHttp.PollAsync(() => ServiceHttp.GetAsync(url, "readyz"),
                    x => x.Status == HttpStatusCode.ServiceUnavailable, Patience, x => $"{(int)x.Status} {x.Body}");
                using JsonDocument doc = JsonDocument.Parse(body);
                Assert.Equal("unready", doc.RootElement.GetProperty("status").GetString());
                string[] failing = doc.RootElement.GetProperty("failing").EnumerateArray().Select(e => e.GetString()!).ToArray();
                Assert.Contains("broker", failing);
                Assert.DoesNotContain("store", failing);
                JsonElement broker = doc.RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "broker");
                Assert.False(broker.GetProperty("ready").GetBoolean());

                // Alive all the same, and the gauges say so too.
                Assert.Equal(HttpStatusCode.OK, (await ServiceHttp.GetAsync(url, "healthz")).Status);
                PrometheusText m = await ServiceHttp.MetricsAsync(url);
                Assert.Equal(0, m.Sum("kcrypt_push_broker_connected"));
                Assert.Equal(0, m.Sum("kcrypt_push_ready"));
            }

            ProcessResult ready = Ready(f.VerifierUrl);
            Assert.Equal(1, ready.ExitCode);
            Assert.Contains("broker", ready.StdOut, StringComparison.Ordinal);
        }
        finally
        {
            await f.Broker.StartAsync();
        }

        await WaitReadyAsync(f.VerifierUrl);
        await WaitReadyAsync(f.RegistrarUrl);
        ProcessResult back = Ready(f.VerifierUrl);
        Assert.True(back.ExitCode == 0, back.StdOut + back.StdErr);
        Assert.Equal("ready\n", back.StdOut);
        Assert.Equal(1, (await ServiceHttp.MetricsAsync(f.VerifierUrl)).Sum("kcrypt_push_ready"));
    }

    private static Task WaitReadyAsync(Uri url) => ServiceHttp.PollAsync(() => ServiceHttp.GetAsync(url, "readyz"),
        x => x.Status == HttpStatusCode.OK, Patience, x => $"{url}: {(int)x.Status} {x.Body}");

    private static ProcessResult Ready(Uri url) =>
        ProcessRunner.Run("dotnet", [KcryptPushBinaries.Verifier, "ready", "--http", $"{url.Host}:{url.Port}"], timeout: TimeSpan.FromSeconds(60));
}
