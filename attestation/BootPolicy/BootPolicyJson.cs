using System.Text;
using System.Text.Json;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.EventLog.Decoding;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.BootPolicy;

/// <summary>
/// The JSON form of a <see cref="MeasuredBootPolicy"/> (format version 1):
/// <code>
/// {
///   "version": 1,
///   "banks": ["sha256"],
///   "secureBoot": "enabled" | "disabled" | "not-measured",
///   "variables": { "PK": {"allowed": {"sha256": ["HEX"]}}, "KEK": ..., "db": ..., "dbx": {"absent": true} },
///   "bootApplications": [ {"stage": 0, "path": "\\EFI\\...", "allowed": {"sha256": ["HEX", "HEX"]}} ],
///   "kernelCommandLine": {"values": ["TEXT"], "allowed": {"sha256": ["HEX"]}} | {"absent": true},
///   "bootConfig": [ {"pcr": 8, "required": true, "allowed": {"sha256": ["HEX", ...]}}, {"pcr": 11, "required": false, "allowed": {"sha256": []}} ],
///   "ipl": {"pcrs": [8, 9], "allowed": {"sha256": ["HEX"]}},
///   "separators": [ {"pcr": 0, "value": "00000000", "allowed": {"sha256": ["HEX"]}} ]
/// }
/// </code>
/// Every part but "version" and "banks" may be left out (or null): it is then not checked. Each
/// "allowed" object has exactly one list per bank of "banks". Loading validates everything and
/// rejects unknown fields, so a typo cannot silently switch a check off.
/// </summary>
public static class BootPolicyJson
{
    private static readonly string[] TopLevel = ["version", "banks", "secureBoot", "variables", "bootApplications", "kernelCommandLine", "bootConfig", "ipl", "separators"];

    /// <summary>Writes <paramref name="policy"/> as indented JSON.</summary>
    public static string Write(MeasuredBootPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("version", policy.Version);
            w.WriteStartArray("banks");
            foreach (ushort bank in policy.Banks)
            {
                w.WriteStringValue(TpmAlgorithms.BankName(bank));
            }
            w.WriteEndArray();
            if (policy.SecureBoot is SecureBootState state)
            {
                w.WriteString("secureBoot", SecureBootStates.Name(state));
            }
            if (policy.Variables.Count > 0)
            {
                w.WriteStartObject("variables");
                foreach (SecureBootVariable v in MeasuredBootPolicy.PinnableVariables)
                {
                    if (!policy.Variables.TryGetValue(v, out VariableExpectation? e))
                    {
                        continue;
                    }
                    w.WriteStartObject(VariableName(v));
                    if (e.IsAbsent)
                    {
                        w.WriteBoolean("absent", true);
                    }
                    else
                    {
                        WriteAllowed(w, policy.Banks, e.Allowed!);
                    }
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            if (policy.BootApplications is { } stages)
            {
                w.WriteStartArray("bootApplications");
                foreach (BootStage s in stages)
                {
                    w.WriteStartObject();
                    w.WriteNumber("stage", s.Stage);
                    if (s.Path is not null)
                    {
                        w.WriteString("path", s.Path);
                    }
                    WriteAllowed(w, policy.Banks, s.Allowed);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            if (policy.KernelCommandLine is { } commandLine)
            {
                w.WriteStartObject("kernelCommandLine");
                if (commandLine.IsAbsent)
                {
                    w.WriteBoolean("absent", true);
                }
                else
                {
                    w.WriteStartArray("values");
                    foreach (string value in commandLine.Values)
                    {
                        w.WriteStringValue(value);
                    }
                    w.WriteEndArray();
                    WriteAllowed(w, policy.Banks, commandLine.Allowed!);
                }
                w.WriteEndObject();
            }
            if (policy.BootConfig is { } bootConfig)
            {
                w.WriteStartArray("bootConfig");
                foreach (BootConfigExpectation c in bootConfig)
                {
                    w.WriteStartObject();
                    w.WriteNumber("pcr", c.Pcr);
                    w.WriteBoolean("required", c.Required);
                    WriteAllowed(w, policy.Banks, c.Allowed);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            if (policy.Ipl is { } ipl)
            {
                w.WriteStartObject("ipl");
                w.WriteStartArray("pcrs");
                foreach (int pcr in ipl.Pcrs)
                {
                    w.WriteNumberValue(pcr);
                }
                w.WriteEndArray();
                WriteAllowed(w, policy.Banks, ipl.Allowed);
                w.WriteEndObject();
            }
            if (policy.Separators is { } separators)
            {
                w.WriteStartArray("separators");
                foreach (SeparatorExpectation s in separators)
                {
                    w.WriteStartObject();
                    w.WriteNumber("pcr", s.Pcr);
                    if (s.Value is not null)
                    {
                        w.WriteString("value", s.Value);
                    }
                    WriteAllowed(w, policy.Banks, s.Allowed);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>Parses and validates a policy.</summary>
    /// <exception cref="BootPolicyFormatException">The text is not a valid version-1 policy; the exception says where and why.</exception>
    public static MeasuredBootPolicy Load(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new BootPolicyFormatException(BootPolicyErrorKind.Malformed, "$",
                $"not JSON ({e.Message.Split(" Path:")[0]})", e);
        }
        using (doc)
        {
            return Read(doc.RootElement);
        }
    }

    private static MeasuredBootPolicy Read(JsonElement root)
    {
        Expect(root, JsonValueKind.Object, "$", "a JSON object");
        foreach (JsonProperty p in root.EnumerateObject())
        {
            if (!TopLevel.Contains(p.Name, StringComparer.Ordinal))
            {
                throw Malformed($"$.{p.Name}", $"a known field ({string.Join(", ", TopLevel)}), got \"{p.Name}\"");
            }
        }

        if (!root.TryGetProperty("version", out JsonElement version))
        {
            throw Malformed("$.version", $"a \"version\" field (this verifier reads version {MeasuredBootPolicy.CurrentVersion})");
        }
        if (version.ValueKind != JsonValueKind.Number || !version.TryGetInt32(out int v) || v != MeasuredBootPolicy.CurrentVersion)
        {
            throw new BootPolicyFormatException(BootPolicyErrorKind.UnsupportedVersion, "$.version",
                $"unsupported version {version.GetRawText()}; this verifier reads version {MeasuredBootPolicy.CurrentVersion}");
        }

        IReadOnlyList<ushort> banks = ReadBanks(root);
        SecureBootState? secureBoot = null;
        if (Optional(root, "secureBoot") is { } sb)
        {
            Expect(sb, JsonValueKind.String, "$.secureBoot", "a string");
            if (!SecureBootStates.TryParse(sb.GetString()!, out SecureBootState state))
            {
                throw Malformed("$.secureBoot", $"\"enabled\", \"disabled\" or \"not-measured\", got \"{sb.GetString()}\"");
            }
            secureBoot = state;
        }

        return new MeasuredBootPolicy
        {
            Version = v,
            Banks = banks,
            SecureBoot = secureBoot,
            Variables = ReadVariables(root, banks),
            BootApplications = ReadStages(root, banks),
            KernelCommandLine = ReadKernelCommandLine(root, banks),
            BootConfig = ReadBootConfig(root, banks),
            Ipl = ReadIpl(root, banks),
            Separators = ReadSeparators(root, banks),
        };
    }

    private static List<ushort> ReadBanks(JsonElement root)
    {
        if (!root.TryGetProperty("banks", out JsonElement banks))
        {
            throw Malformed("$.banks", "a \"banks\" array, e.g. [\"sha256\"]");
        }
        Expect(banks, JsonValueKind.Array, "$.banks", "an array of bank names");
        var result = new List<ushort>();
        int i = 0;
        foreach (JsonElement b in banks.EnumerateArray())
        {
            string path = $"$.banks[{i++}]";
            Expect(b, JsonValueKind.String, path, "a bank name");
            string name = b.GetString()!;
            if (!PolicyBanks.TryParse(name, out ushort alg))
            {
                throw new BootPolicyFormatException(BootPolicyErrorKind.UnknownBank, path,
                    $"expected a bank name ({string.Join(", ", PolicyBanks.Names)}), got \"{name}\"");
            }
            if (result.Contains(alg))
            {
                throw new BootPolicyFormatException(BootPolicyErrorKind.UnknownBank, path, $"expected each bank once, got \"{name}\" twice");
            }
            result.Add(alg);
        }
        if (result.Count == 0)
        {
            throw Malformed("$.banks", "at least one bank");
        }
        return result;
    }

    private static Dictionary<SecureBootVariable, VariableExpectation> ReadVariables(JsonElement root, IReadOnlyList<ushort> banks)
    {
        var result = new Dictionary<SecureBootVariable, VariableExpectation>();
        if (Optional(root, "variables") is not { } variables)
        {
            return result;
        }
        Expect(variables, JsonValueKind.Object, "$.variables", "an object with PK, KEK, db, dbx");
        foreach (JsonProperty p in variables.EnumerateObject())
        {
            string path = $"$.variables.{p.Name}";
            SecureBootVariable which = MeasuredBootPolicy.PinnableVariables.FirstOrDefault(x => VariableName(x) == p.Name);
            if (which == SecureBootVariable.None)
            {
                throw Malformed(path, $"one of PK, KEK, db, dbx, got \"{p.Name}\"");
            }
            Expect(p.Value, JsonValueKind.Object, path, "{\"absent\": true} or {\"allowed\": {...}}");
            bool hasAbsent = p.Value.TryGetProperty("absent", out JsonElement absent);
            bool hasAllowed = p.Value.TryGetProperty("allowed", out _);
            OnlyFields(p.Value, path, "absent", "allowed");
            if (hasAbsent == hasAllowed)
            {
                throw Malformed(path, "exactly one of \"absent\": true or \"allowed\"");
            }
            if (hasAbsent)
            {
                if (absent.ValueKind != JsonValueKind.True)
                {
                    throw Malformed($"{path}.absent", "true (leave the variable out to skip its check)");
                }
                result[which] = VariableExpectation.Absent();
            }
            else
            {
                result[which] = VariableExpectation.Measured(ReadAllowed(p.Value, path, banks));
            }
        }
        return result;
    }

    private static List<BootStage>? ReadStages(JsonElement root, IReadOnlyList<ushort> banks)
    {
        if (Optional(root, "bootApplications") is not { } array)
        {
            return null;
        }
        Expect(array, JsonValueKind.Array, "$.bootApplications", "an array of stages");
        var stages = new List<BootStage>();
        foreach (JsonElement s in array.EnumerateArray())
        {
            string path = $"$.bootApplications[{stages.Count}]";
            Expect(s, JsonValueKind.Object, path, "a stage object");
            OnlyFields(s, path, "stage", "path", "allowed");
            int stage = ReadInt(s, path, "stage", 0, int.MaxValue);
            if (stage != stages.Count)
            {
                throw new BootPolicyFormatException(BootPolicyErrorKind.Inconsistent, $"{path}.stage",
                    $"expected stages numbered 0, 1, 2... in order: {stages.Count}, got {stage}");
            }
            stages.Add(new BootStage(stage, ReadOptionalString(s, path, "path"), ReadAllowed(s, path, banks)));
        }
        return stages;
    }

    private static KernelCommandLineExpectation? ReadKernelCommandLine(JsonElement root, IReadOnlyList<ushort> banks)
    {
        const string path = "$.kernelCommandLine";
        if (Optional(root, "kernelCommandLine") is not { } line)
        {
            return null;
        }
        Expect(line, JsonValueKind.Object, path, "{\"absent\": true} or {\"values\": [...], \"allowed\": {...}}");
        OnlyFields(line, path, "absent", "values", "allowed");
        bool hasAbsent = line.TryGetProperty("absent", out JsonElement absent);
        bool hasAllowed = line.TryGetProperty("allowed", out _);
        if (hasAbsent == hasAllowed)
        {
            throw Malformed(path, "exactly one of \"absent\": true or \"allowed\"");
        }
        if (hasAbsent)
        {
            if (absent.ValueKind != JsonValueKind.True)
            {
                throw Malformed($"{path}.absent", "true (leave kernelCommandLine out to skip its check)");
            }
            if (line.TryGetProperty("values", out _))
            {
                throw Malformed($"{path}.values", "no values with \"absent\": true");
            }
            return KernelCommandLineExpectation.Absent();
        }
        var values = new List<string>();
        if (Optional(line, "values") is { } array)
        {
            Expect(array, JsonValueKind.Array, $"{path}.values", "an array of command lines (for readers)");
            foreach (JsonElement v in array.EnumerateArray())
            {
                Expect(v, JsonValueKind.String, $"{path}.values[{values.Count}]", "a string");
                values.Add(v.GetString()!);
            }
        }
        return KernelCommandLineExpectation.Measured(ReadAllowed(line, path, banks), values);
    }

    private static List<BootConfigExpectation>? ReadBootConfig(JsonElement root, IReadOnlyList<ushort> banks)
    {
        if (Optional(root, "bootConfig") is not { } array)
        {
            return null;
        }
        Expect(array, JsonValueKind.Array, "$.bootConfig", "an array of {\"pcr\", \"required\", \"allowed\"}");
        var result = new List<BootConfigExpectation>();
        foreach (JsonElement c in array.EnumerateArray())
        {
            string path = $"$.bootConfig[{result.Count}]";
            Expect(c, JsonValueKind.Object, path, "an object with \"pcr\", \"required\" and \"allowed\"");
            OnlyFields(c, path, "pcr", "required", "allowed");
            int pcr = ReadInt(c, path, "pcr", 0, 23);
            if (result.Any(r => r.Pcr == pcr))
            {
                throw new BootPolicyFormatException(BootPolicyErrorKind.Inconsistent, $"{path}.pcr", $"expected each PCR once, got {pcr} twice");
            }
            bool required = false;
            if (Optional(c, "required") is { } r)
            {
                if (r.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    throw Malformed($"{path}.required", $"true or false, got {r.GetRawText()}");
                }
                required = r.GetBoolean();
            }
            result.Add(new BootConfigExpectation(pcr, required, ReadAllowed(c, path, banks)));
        }
        return result;
    }

    private static IplExpectation? ReadIpl(JsonElement root, IReadOnlyList<ushort> banks)
    {
        if (Optional(root, "ipl") is not { } ipl)
        {
            return null;
        }
        Expect(ipl, JsonValueKind.Object, "$.ipl", "an object with \"pcrs\" and \"allowed\"");
        OnlyFields(ipl, "$.ipl", "pcrs", "allowed");
        IReadOnlyList<int> pcrs = IplExpectation.DefaultPcrs;
        if (Optional(ipl, "pcrs") is { } array)
        {
            Expect(array, JsonValueKind.Array, "$.ipl.pcrs", "an array of PCR indexes");
            var list = new List<int>();
            int i = 0;
            foreach (JsonElement p in array.EnumerateArray())
            {
                string path = $"$.ipl.pcrs[{i++}]";
                if (p.ValueKind != JsonValueKind.Number || !p.TryGetInt32(out int pcr) || pcr is < 0 or > 23)
                {
                    throw Malformed(path, $"a PCR index 0-23, got {p.GetRawText()}");
                }
                list.Add(pcr);
            }
            pcrs = list;
        }
        return new IplExpectation(pcrs, ReadAllowed(ipl, "$.ipl", banks));
    }

    private static List<SeparatorExpectation>? ReadSeparators(JsonElement root, IReadOnlyList<ushort> banks)
    {
        if (Optional(root, "separators") is not { } array)
        {
            return null;
        }
        Expect(array, JsonValueKind.Array, "$.separators", "an array of separators");
        var result = new List<SeparatorExpectation>();
        foreach (JsonElement s in array.EnumerateArray())
        {
            string path = $"$.separators[{result.Count}]";
            Expect(s, JsonValueKind.Object, path, "a separator object");
            OnlyFields(s, path, "pcr", "value", "allowed");
            // Logged PCR indexes are UINT32 (Windows uses 0xFFFFFFFF for some records).
            if (!s.TryGetProperty("pcr", out JsonElement pcrElement) || pcrElement.ValueKind != JsonValueKind.Number
                || !pcrElement.TryGetUInt32(out uint pcr))
            {
                throw Malformed($"{path}.pcr", "a PCR index");
            }
            result.Add(new SeparatorExpectation(pcr, ReadOptionalString(s, path, "value"), ReadAllowed(s, path, banks)));
        }
        return result;
    }

    /// <summary>"allowed": {"sha256": ["HEX", ...]}: one list per policy bank, digests of the bank's size.</summary>
    private static AllowedDigests ReadAllowed(JsonElement parent, string parentPath, IReadOnlyList<ushort> banks)
    {
        string path = $"{parentPath}.allowed";
        if (!parent.TryGetProperty("allowed", out JsonElement allowed))
        {
            throw Malformed(path, "an \"allowed\" object of digests per bank");
        }
        Expect(allowed, JsonValueKind.Object, path, "an object of digests per bank, e.g. {\"sha256\": [\"HEX\"]}");
        var result = new AllowedDigests();
        foreach (JsonProperty bank in allowed.EnumerateObject())
        {
            string bankPath = $"{path}.{bank.Name}";
            if (!PolicyBanks.TryParse(bank.Name, out ushort alg))
            {
                throw new BootPolicyFormatException(BootPolicyErrorKind.UnknownBank, bankPath,
                    $"expected a bank name ({string.Join(", ", PolicyBanks.Names)}), got \"{bank.Name}\"");
            }
            if (!banks.Contains(alg))
            {
                throw new BootPolicyFormatException(BootPolicyErrorKind.Inconsistent, bankPath,
                    $"expected only banks listed in $.banks ({string.Join(", ", banks.Select(TpmAlgorithms.BankName))}), got \"{bank.Name}\"");
            }
            Expect(bank.Value, JsonValueKind.Array, bankPath, "an array of hex digests");
            result.AddBank(alg);
            int size = TpmAlgorithms.GetDigestSize((TpmAlgId)alg);
            int i = 0;
            foreach (JsonElement d in bank.Value.EnumerateArray())
            {
                string digestPath = $"{bankPath}[{i++}]";
                Expect(d, JsonValueKind.String, digestPath, "a hex digest string");
                string hex = d.GetString()!;
                byte[] bytes;
                try
                {
                    bytes = Convert.FromHexString(hex);
                }
                catch (FormatException e)
                {
                    throw new BootPolicyFormatException(BootPolicyErrorKind.MalformedHex, digestPath,
                        $"expected a hex digest, got \"{Clip(hex)}\"", e);
                }
                if (bytes.Length != size)
                {
                    throw new BootPolicyFormatException(BootPolicyErrorKind.WrongDigestLength, digestPath,
                        $"expected a {bank.Name} digest of {size} bytes ({size * 2} hex digits), got {bytes.Length} bytes");
                }
                result.Add(alg, bytes);
            }
        }
        foreach (ushort bank in banks)
        {
            if (!result.Banks.Contains(bank))
            {
                throw new BootPolicyFormatException(BootPolicyErrorKind.Inconsistent, path,
                    $"expected a list for every bank in $.banks: \"{TpmAlgorithms.BankName(bank)}\" is missing (an empty list allows nothing)");
            }
        }
        return result;
    }

    private static void WriteAllowed(Utf8JsonWriter w, IReadOnlyList<ushort> banks, AllowedDigests allowed)
    {
        w.WriteStartObject("allowed");
        foreach (ushort bank in banks)
        {
            w.WriteStartArray(TpmAlgorithms.BankName(bank));
            foreach (byte[] d in allowed.For(bank))
            {
                w.WriteStringValue(Convert.ToHexStringLower(d));
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    private static JsonElement? Optional(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out JsonElement e) && e.ValueKind != JsonValueKind.Null ? e : null;

    private static int ReadInt(JsonElement parent, string parentPath, string name, int min, int max)
    {
        if (!parent.TryGetProperty(name, out JsonElement e) || e.ValueKind != JsonValueKind.Number
            || !e.TryGetInt32(out int value) || value < min || value > max)
        {
            throw Malformed($"{parentPath}.{name}", $"an integer {min}..{max}");
        }
        return value;
    }

    private static string? ReadOptionalString(JsonElement parent, string parentPath, string name)
    {
        if (Optional(parent, name) is not { } e)
        {
            return null;
        }
        Expect(e, JsonValueKind.String, $"{parentPath}.{name}", "a string");
        return e.GetString();
    }

    private static void OnlyFields(JsonElement obj, string path, params string[] names)
    {
        foreach (JsonProperty p in obj.EnumerateObject())
        {
            if (!names.Contains(p.Name, StringComparer.Ordinal))
            {
                throw Malformed($"{path}.{p.Name}", $"one of the fields {string.Join(", ", names)}, got \"{p.Name}\"");
            }
        }
    }

    private static void Expect(JsonElement e, JsonValueKind kind, string path, string what)
    {
        if (e.ValueKind != kind)
        {
            throw Malformed(path, $"{what}, got {e.ValueKind.ToString().ToLowerInvariant()}");
        }
    }

    private static BootPolicyFormatException Malformed(string path, string expected) =>
        new(BootPolicyErrorKind.Malformed, path, $"expected {expected}");

    private static string Clip(string s) => s.Length <= 40 ? s : s[..37] + "...";

    /// <summary>JSON name of a pinnable variable: the UEFI variable name.</summary>
    public static string VariableName(SecureBootVariable v) => v switch
    {
        SecureBootVariable.PK => "PK",
        SecureBootVariable.KEK => "KEK",
        SecureBootVariable.Db => "db",
        SecureBootVariable.Dbx => "dbx",
        _ => v.ToString(),
    };
}
