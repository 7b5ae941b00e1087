using System.Globalization;
using System.Text.Json;
using KcryptPush.Contracts.V1;

namespace KcryptPush.Verifier.Cli;

/// <summary>Table and JSON output of the <c>nodes</c> commands (JSON: camelCase, the contracts' field names).</summary>
internal static class NodesOutput
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string Json<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static void List(NodeList list, TextWriter w)
    {
        w.WriteLine($"{"TPM HASH",-64}  {"STATE",-11}  {"LAST ATTESTATION",-20}  {"VERDICT",-10}  HOSTNAME");
        foreach (NodeSummary n in list.Nodes)
        {
            w.WriteLine($"{n.TpmHash,-64}  {n.State,-11}  {Time(n.LastAttestationAt),-20}  {n.LastVerdict ?? "-",-10}  {n.Hostname}");
        }
    }

    public static void Show(NodeDetails d, TextWriter w)
    {
        w.WriteLine($"TPM hash:      {d.TpmHash}");
        w.WriteLine($"Hostname:      {Or(d.Hostname)}");
        w.WriteLine($"State:         {d.State}");
        w.WriteLine($"AK Name:       {Or(d.AkName)}");
        w.WriteLine($"AK policy:     {d.AkMode}");
        w.WriteLine($"Boot policy:   {(d.HasBootPolicy ? "attached" : d.UnderFleetBootPolicy ? "fleet default (Verifier:DefaultBootPolicy)" : "none")}");
        w.WriteLine($"TPM firmware:  {d.TpmFirmware ?? "- (no authenticated quote yet)"}");
        w.WriteLine($"Attestations:  {d.AttestationsPassed} passed{(d.MaxAttestations is { } max ? $" of a budget of {max}" : "")}");
        w.WriteLine($"Secrets:       {(d.SecretLabels.Length == 0 ? "-" : string.Join(", ", d.SecretLabels))}");
        w.WriteLine(d.PcrTofuPending
            ? "PCR policy: TOFU pending (the first passing attestation learns every quoted PCR not listed here):"
            : "PCR policy (PCRs not listed are skipped):");
        foreach (PcrPolicyEntry p in d.PcrPolicy)
        {
            w.WriteLine($"  {p.Bank + ":" + p.Index.ToString(CultureInfo.InvariantCulture),-10}  {p.Mode,-7}  {p.Value ?? ""}");
        }

        if (d.PcrPolicy.Length == 0)
        {
            w.WriteLine("  (none)");
        }

        w.WriteLine($"History (newest first, last {d.History.Length}):");
        foreach (AttestationRecord h in d.History)
        {
            string reasons = string.Join("; ", h.Reasons.Select(r => $"{r.Code}: {r.Message}"));
            w.WriteLine($"  {Time(h.At),-20}  {h.Verdict,-10}  resetCount={h.ResetCount}  {reasons}".TrimEnd());
        }

        w.WriteLine($"Audit (newest first, last {d.Audit.Length}):");
        foreach (NodeAuditEntry a in d.Audit)
        {
            w.WriteLine($"  {Time(a.At),-20}  {a.Actor,-16}  {a.What}: {a.OldValue ?? "-"} -> {a.NewValue ?? "-"}");
        }
    }

    private static string Time(DateTimeOffset? at) => at?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) ?? "-";

    private static string Or(string text) => text.Length == 0 ? "-" : text;
}
