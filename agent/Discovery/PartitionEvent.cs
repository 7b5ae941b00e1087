using System.Text.Json;

namespace KcryptPush.Agent.Discovery;

/// <summary>
/// The partition a kcrypt <c>discovery.password</c> event names. kcrypt (kairos-sdk, over
/// mudler/go-pluggable) writes one JSON event on the plugin's stdin:
/// <c>{"name": "discovery.password", "data": "{\"label\":\"COS_PERSISTENT\",\"name\":\"/dev/sda3\",\"uuid\":\"...\"}", "file": ""}</c>;
/// the data is itself JSON (a ghw block.Partition). go-pluggable moves data larger than 8 KiB to a
/// temporary file and names it in <c>file</c>. Extra fields are ignored; the label is required
/// because secrets are configured per partition label.
/// </summary>
/// <param name="Label">The filesystem label (e.g. COS_PERSISTENT).</param>
/// <param name="Name">The device name, informational.</param>
/// <param name="Uuid">The partition UUID, informational.</param>
public sealed record PartitionEvent(string Label, string? Name, string? Uuid)
{
    /// <summary>Parses the event JSON read from stdin.</summary>
    /// <exception cref="DiscoveryInputException">Not JSON, no data, data not a JSON object, or no label.</exception>
    public static PartitionEvent Parse(string stdin)
    {
        if (string.IsNullOrWhiteSpace(stdin))
        {
            throw new DiscoveryInputException("no event on stdin (expected {\"data\": \"{\\\"label\\\": ...}\"})");
        }

        string data;
        try
        {
            using JsonDocument outer = JsonDocument.Parse(stdin);
            if (outer.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new DiscoveryInputException("the event on stdin is not a JSON object");
            }

            data = Text(outer.RootElement, "data") ?? string.Empty;
            if (data.Length == 0 && Text(outer.RootElement, "file") is { Length: > 0 } file)
            {
                data = ReadFile(file);
            }
        }
        catch (JsonException e)
        {
            throw new DiscoveryInputException($"the event on stdin is not JSON: {e.Message}", e);
        }

        if (data.Length == 0)
        {
            throw new DiscoveryInputException("the event has no data (expected the partition as JSON in \"data\")");
        }

        try
        {
            using JsonDocument partition = JsonDocument.Parse(data);
            if (partition.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new DiscoveryInputException("the event's data is not a JSON object describing a partition");
            }

            string? label = Text(partition.RootElement, "label") ?? Text(partition.RootElement, "filesystem_label");
            if (string.IsNullOrWhiteSpace(label))
            {
                throw new DiscoveryInputException("the partition in the event has no label (secrets are configured per partition label)");
            }

            return new PartitionEvent(label, Text(partition.RootElement, "name"), Text(partition.RootElement, "uuid"));
        }
        catch (JsonException e)
        {
            throw new DiscoveryInputException($"the event's data is not JSON: {e.Message}", e);
        }
    }

    private static string? Text(JsonElement obj, string name)
    {
        foreach (JsonProperty p in obj.EnumerateObject())
        {
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null;
            }
        }

        return null;
    }

    private static string ReadFile(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DiscoveryInputException($"cannot read the event data file {path}: {e.Message}", e);
        }
    }
}
