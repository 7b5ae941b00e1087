using System.Globalization;
using KcryptPush.Tpm.Client;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Agent.Hosting;

/// <summary>
/// Agent settings, bound from the <c>Agent</c> configuration section: appsettings.json beside the
/// executable, <c>KCRYPTPUSH_Agent__Key</c> variables, the <c>KCRYPTPUSH_TPM</c> and
/// <c>KCRYPTPUSH_EK</c> aliases, then <c>--tpm</c> / <c>--ek</c> (DESIGN.md "Command-line contract").
/// </summary>
public sealed class AgentSettings
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Agent";

    /// <summary><c>device:/dev/tpmrm0</c> or <c>swtpm:HOST:PORT</c>.</summary>
    public string Tpm { get; set; } = "device:/dev/tpmrm0";

    /// <summary><c>rsa</c> (RSA 2048, L-1), <c>ecc</c> (NIST P-256, L-2) or <c>ecc384</c> (NIST P-384, H-3).</summary>
    public string Ek { get; set; } = "rsa";

    /// <summary>The AK template: <c>rsa</c> (RSASSA), <c>rsapss</c> (RSASSA-PSS) or <c>ecc</c> (ECDSA P-256).</summary>
    public string Ak { get; set; } = "rsa";

    /// <summary>Where the AK is persisted (hex <c>0x81018000</c> by default; 0x81010001/2 are the EKs').</summary>
    public string AkHandle { get; set; } = "0x81018000";

    /// <summary>The host name reported at enrolment (default: the machine name).</summary>
    public string? Hostname { get; set; }

    /// <summary>Time between attestations: <c>60s</c>, <c>2m</c>... (<c>--interval</c>, <c>KCRYPTPUSH_INTERVAL</c>).</summary>
    public string Interval { get; set; } = "60s";

    /// <summary>The binary measured-boot event log (<c>--event-log</c>, <c>KCRYPTPUSH_EVENT_LOG</c>).</summary>
    public string EventLog { get; set; } = KcryptPush.Agent.Attestation.PushSettings.DefaultEventLog;

    /// <summary>First pause after a transient enrolment failure.</summary>
    public TimeSpan RetryMinDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Cap of the exponential backoff.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Cap of the backoff while the broker cannot be reached (<see cref="KcryptPush.Agent.Attestation.PushSettings.BrokerRetryMaxDelay"/>).</summary>
    public TimeSpan BrokerRetryMaxDelay { get; set; } = KcryptPush.Agent.Attestation.PushSettings.DefaultBrokerRetryMaxDelay;

    /// <summary>The parsed <see cref="Ek"/>.</summary>
    public EkKind EkKind => EkKinds.TryParse(Ek, out EkKind k) ? k : throw new InvalidOperationException($"Agent:Ek '{Ek}' is not rsa, ecc or ecc384");

    /// <summary>The parsed <see cref="Ak"/>.</summary>
    public AkKind AkKind => TryParseAk(Ak, out AkKind k) ? k : throw new InvalidOperationException($"Agent:Ak '{Ak}' is not rsa, rsapss or ecc");

    /// <summary>The parsed <see cref="AkHandle"/>.</summary>
    public uint AkHandleValue => TryParseHandle(AkHandle, out uint h) ? h : throw new InvalidOperationException($"Agent:AkHandle '{AkHandle}' is not a persistent handle 0x81xxxxxx");

    /// <summary>The parsed <see cref="Interval"/>.</summary>
    public TimeSpan IntervalValue => KcryptPush.Agent.Cli.Duration.TryParse(Interval, out TimeSpan t) ? t : throw new InvalidOperationException($"Agent:Interval '{Interval}' is not a duration");

    /// <summary>The reported host name.</summary>
    public string EffectiveHostname => string.IsNullOrWhiteSpace(Hostname) ? Environment.MachineName : Hostname.Trim();

    /// <summary>Parses an <c>Agent:Ak</c> value.</summary>
    public static bool TryParseAk(string? value, out AkKind kind)
    {
        (bool ok, kind) = value switch
        {
            "rsa" => (true, AkKind.Rsa2048),
            "rsapss" => (true, AkKind.Rsa2048Pss),
            "ecc" => (true, AkKind.EccP256),
            _ => (false, AkKind.Rsa2048),
        };
        return ok;
    }

    /// <summary>Parses a persistent handle written in hex (with or without 0x).</summary>
    public static bool TryParseHandle(string? value, out uint handle)
    {
        string text = (value ?? string.Empty).Trim();
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            text = text[2..];
        }

        return uint.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out handle)
            && TpmHandle.HandleType(handle) == 0x81;
    }
}
