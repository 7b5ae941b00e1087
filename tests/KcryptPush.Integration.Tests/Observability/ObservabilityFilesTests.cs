using System.Text.Json;
using System.Text.RegularExpressions;
using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Tests;

namespace KcryptPush.Integration.Tests.Observability;

/// <summary>
/// observability/: the alert rules load in Prometheus's own checker and fire (and stay quiet) as their
/// unit tests say; every query of the Grafana dashboard is valid PromQL and reads only the metrics
/// the services export.
/// </summary>
[Trait("Category", "Integration")]
public sealed partial class ObservabilityFilesTests : IDisposable
{
    /// <summary>The metric names the verifier and registrar export (README "Observe").</summary>
    private static readonly HashSet<string> Exported =
    [
        "kcrypt_push_attestations_total", "kcrypt_push_verification_duration_seconds_bucket", "kcrypt_push_nodes",
        "kcrypt_push_challenges_outstanding", "kcrypt_push_event_logs_received_total", "kcrypt_push_event_log_bytes_total",
        "kcrypt_push_verdict_events_published_total", "kcrypt_push_verdict_events_owed", "kcrypt_push_verdict_outbox_oldest_seconds",
        "kcrypt_push_attestation_queue_lag_seconds",
        "kcrypt_push_enrolments_total", "kcrypt_push_broker_connected", "kcrypt_push_ready",
    ];

    private static readonly string Dir = Path.Combine(RepoPaths.Root, "observability");
    private readonly string _tmp = Directory.CreateTempSubdirectory("kcrypt-observability-").FullName;

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    [PromtoolFact]
    public void The_alert_rules_and_the_scrape_config_pass_promtool_check()
    {
        Promtool("check", "rules", Path.Combine(Dir, "prometheus", "kcrypt-push.rules.yml"));
        Promtool("check", "config", Path.Combine(Dir, "prometheus", "scrape.yml"));
    }

    [PromtoolFact]
    public void The_alerts_fire_on_their_conditions_and_not_before_as_their_unit_tests_say()
    {
        string output = Promtool("test", "rules", Path.Combine(Dir, "prometheus", "kcrypt-push.rules.test.yml"));
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    [PromtoolFact]
    public void A_rule_that_never_fires_fails_its_unit_test()
    {
        // The unit tests can fail: the same tests against a quarantine rule that needs two nodes.
        string rules = File.ReadAllText(Path.Combine(Dir, "prometheus", "kcrypt-push.rules.yml"))
            .Replace("state=\"Quarantined\"}) > 0", "state=\"Quarantined\"}) > 1", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(_tmp, "kcrypt-push.rules.yml"), rules);
        File.Copy(Path.Combine(Dir, "prometheus", "kcrypt-push.rules.test.yml"), Path.Combine(_tmp, "kcrypt-push.rules.test.yml"));
        ProcessResult r = ProcessRunner.Run("promtool", ["test", "rules", Path.Combine(_tmp, "kcrypt-push.rules.test.yml")], timeout: TimeSpan.FromMinutes(1));
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("KcryptPushNodeQuarantined", r.StdOut + r.StdErr, StringComparison.Ordinal);
    }

    [PromtoolFact]
    public void Every_dashboard_query_is_valid_PromQL_over_exported_metrics()
    {
        using JsonDocument dash = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "grafana", "kcrypt-push.json")));
        string[] exprs = [.. dash.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .Select(t => t.GetProperty("expr").GetString()!)];
        Assert.True(exprs.Length >= 10, $"{exprs.Length} queries");

        // promtool has no offline query parser; recording rules are parsed as PromQL by check rules.
        using (var w = new StreamWriter(Path.Combine(_tmp, "dashboard.rules.yml")))
        {
            w.WriteLine("groups:\n  - name: dashboard\n    rules:");
            for (int i = 0; i < exprs.Length; i++)
            {
                w.WriteLine($"      - record: dashboard:query{i}\n        expr: {JsonSerializer.Serialize(exprs[i])}");
            }
        }

        Promtool("check", "rules", Path.Combine(_tmp, "dashboard.rules.yml"));

        string rules = File.ReadAllText(Path.Combine(Dir, "prometheus", "kcrypt-push.rules.yml"));
        foreach (string name in exprs.Append(rules).SelectMany(e => MetricName().Matches(e).Select(m => m.Value)))
        {
            Assert.True(Exported.Contains(name), $"{name} is not a metric the services export");
        }
    }

    private static string Promtool(params string[] args)
    {
        ProcessResult r = ProcessRunner.Run("promtool", args, timeout: TimeSpan.FromMinutes(1));
        Assert.True(r.ExitCode == 0, $"promtool {string.Join(' ', args)} exited {r.ExitCode}\n{r.StdOut}\n{r.StdErr}");
        return r.StdOut;
    }

    [GeneratedRegex(@"\bkcrypt_push_[a-z_]+\b")]
    private static partial Regex MetricName();
}

/// <summary>A fact that needs Prometheus's promtool (Debian's <c>prometheus</c>): skipped with the reason without it.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PromtoolFactAttribute : FactAttribute
{
    public PromtoolFactAttribute()
    {
        bool found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Any(d => d.Length > 0 && File.Exists(Path.Combine(d, "promtool")));
        if (!found)
        {
            Skip = "SKIPPED: promtool is not installed (Debian's prometheus package; scripts/install-deps.sh installs it)";
        }
    }
}
