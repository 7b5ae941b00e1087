using System.Text;
using System.Text.Json;
using KcryptPush.Attestation.BootPolicy;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Verifier.Cli;

/// <summary>Text and JSON output of <c>policy run</c> and the summary of <c>policy create</c>.</summary>
internal static class PolicyOutput
{
    /// <summary>"pass", or "fail" followed by one line per failed rule naming the event that broke it.</summary>
    public static string Text(BootPolicyEvaluation evaluation)
    {
        if (evaluation.Passed)
        {
            return "pass\n";
        }
        var sb = new StringBuilder();
        List<RuleResult> failures = evaluation.Failures.ToList();
        sb.Append("fail: ").Append(failures.Count).Append(failures.Count == 1 ? " rule check failed\n" : " rule checks failed\n");
        foreach (RuleResult r in failures)
        {
            sb.Append("  ").Append(r.Message).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>{"verdict": "pass"|"fail", "results": [{rule, status, expected, found, event: {index, pcr, type, offset} | null}]}.</summary>
    public static string Json(BootPolicyEvaluation evaluation)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("verdict", evaluation.Passed ? "pass" : "fail");
            w.WriteStartArray("results");
            foreach (RuleResult r in evaluation.Results)
            {
                w.WriteStartObject();
                w.WriteString("rule", r.Rule);
                w.WriteString("status", r.Status.ToString().ToLowerInvariant());
                w.WriteString("expected", r.Expected);
                w.WriteString("found", r.Found);
                if (r.Event is { } e)
                {
                    w.WriteStartObject("event");
                    w.WriteNumber("index", e.Index);
                    w.WriteNumber("pcr", e.Pcr);
                    w.WriteString("type", e.Type);
                    w.WriteNumber("offset", e.Offset);
                    w.WriteEndObject();
                }
                else
                {
                    w.WriteNull("event");
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>One line saying what a new policy pins.</summary>
    public static string Summary(string path, MeasuredBootPolicy policy)
    {
        string banks = string.Join(", ", policy.Banks.Select(TpmAlgorithms.BankName));
        string secureBoot = policy.SecureBoot is { } s ? SecureBootStates.Name(s) : "not checked";
        int stages = policy.BootApplications?.Count ?? 0;
        string absent = string.Join(", ", policy.Variables.Where(v => v.Value.IsAbsent).Select(v => BootPolicyJson.VariableName(v.Key)));
        string commandLine = policy.KernelCommandLine switch
        {
            null => "",
            { IsAbsent: true } => ", no kernel command line",
            { } k => $", kernel command line {string.Join(" or ", k.Values.Select(v => $"\"{(v.Length <= 60 ? v : v[..57] + "...")}\""))}",
        };
        string bootConfig = policy.BootConfig is { } config
            ? $", boot configuration PCR {string.Join(", ", config.Select(c => $"{c.Pcr} ({c.Allowed.For(policy.Banks[0]).Count})"))}"
            : "";
        return $"wrote {path}: bank {banks}, Secure Boot {secureBoot}, {stages} boot stage{(stages == 1 ? "" : "s")}, "
            + $"{policy.Separators?.Count ?? 0} separators{(absent.Length > 0 ? $", not measured: {absent}" : "")}{commandLine}{bootConfig}"
            + $"{(policy.Ipl is { } ipl ? $", {ipl.Allowed.Banks.Sum(b => ipl.Allowed.For(b).Count)} EV_IPL digests" : "")}\n";
    }
}
