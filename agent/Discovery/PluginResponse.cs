using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace KcryptPush.Agent.Discovery;

/// <summary>
/// The plugin's answer on stdout, go-pluggable's EventResponse: <c>{"data": "&lt;passphrase&gt;"}</c>
/// or <c>{"error": "&lt;reason&gt;"}</c>. Nothing else may reach stdout: kcrypt unmarshals it whole.
/// </summary>
public static class PluginResponse
{
    // Written with Utf8JsonWriter rather than JsonSerializer: no reflection (the packaged agent is
    // compiled ahead of time), the same escaping.
    private static readonly JsonWriterOptions Strings = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary><c>{"data": "..."}</c>.</summary>
    public static string Data(string passphrase) => "{\"data\": " + Quote(passphrase) + "}";

    /// <summary><c>{"error": "..."}</c>.</summary>
    public static string Error(string reason) => "{\"error\": " + Quote(reason) + "}";

    private static string Quote(string value)
    {
        var buffer = new ArrayBufferWriter<byte>(value.Length + 16);
        using (var writer = new Utf8JsonWriter(buffer, Strings))
        {
            writer.WriteStringValue(value);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
