using System.Text.Encodings.Web;
using System.Text.Json;

namespace KcryptPush.Agent.Discovery;

/// <summary>
/// The plugin's answer on stdout, go-pluggable's EventResponse: <c>{"data": "&lt;passphrase&gt;"}</c>
/// or <c>{"error": "&lt;reason&gt;"}</c>. Nothing else may reach stdout: kcrypt unmarshals it whole.
/// </summary>
public static class PluginResponse
{
    private static readonly JsonSerializerOptions Strings = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary><c>{"data": "..."}</c>.</summary>
    public static string Data(string passphrase) => "{\"data\": " + JsonSerializer.Serialize(passphrase, Strings) + "}";

    /// <summary><c>{"error": "..."}</c>.</summary>
    public static string Error(string reason) => "{\"error\": " + JsonSerializer.Serialize(reason, Strings) + "}";
}
