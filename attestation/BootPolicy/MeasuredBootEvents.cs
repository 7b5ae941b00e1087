using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.EventLog.Decoding;
using KcryptPush.Attestation.Evidence;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.BootPolicy;

/// <summary>A Secure Boot variable measurement: the event and its parsed UEFI_VARIABLE_DATA.</summary>
/// <param name="Event">The EV_EFI_VARIABLE_DRIVER_CONFIG event on PCR 7.</param>
/// <param name="Variable">Which variable.</param>
/// <param name="Data">Its UEFI_VARIABLE_DATA.</param>
public sealed record VariableMeasurement(UntrustedEvent Event, SecureBootVariable Variable, UefiVariableData Data);

/// <summary>
/// The events of a parsed (untrusted) log that a measured-boot policy looks at, found the same
/// way for making a policy and for checking one. Never throws for a parsed log: event data that
/// does not decode is simply not recognised.
/// </summary>
public sealed class MeasuredBootEvents
{
    /// <summary>PCR of Secure Boot policy measurements (PFP §3.3.4.8).</summary>
    public const uint SecureBootPcr = 7;

    /// <summary>PCR of boot manager code and boot attempts (PFP §3.3.4.5).</summary>
    public const uint BootApplicationPcr = 4;

    private readonly IReadOnlyList<UntrustedEvent> _all;

    private MeasuredBootEvents(
        IReadOnlyList<UntrustedEvent> all, IReadOnlyList<VariableMeasurement> variables, IReadOnlyList<UntrustedEvent> bootApplications,
        IReadOnlyList<UntrustedEvent> ipl, IReadOnlyList<UntrustedEvent> separators)
    {
        _all = all;
        Variables = variables;
        BootApplications = bootApplications;
        Ipl = ipl;
        Separators = separators;
    }

    /// <summary>SecureBoot, PK, KEK, db, dbx (and other recognised) EV_EFI_VARIABLE_DRIVER_CONFIG
    /// measurements on PCR 7, in log order. EV_EFI_VARIABLE_AUTHORITY events, which name the db
    /// entry that verified an image, are not measurements of the variable and are not included.</summary>
    public IReadOnlyList<VariableMeasurement> Variables { get; }

    /// <summary>EV_EFI_BOOT_SERVICES_APPLICATION events on PCR 4, in log order: stage 0, 1, 2...</summary>
    public IReadOnlyList<UntrustedEvent> BootApplications { get; }

    /// <summary>Every EV_IPL event, in log order (any PCR).</summary>
    public IReadOnlyList<UntrustedEvent> Ipl { get; }

    /// <summary>Every EV_SEPARATOR event, in log order (any PCR).</summary>
    public IReadOnlyList<UntrustedEvent> Separators { get; }

    /// <summary>The measurements of <paramref name="variable"/>, in log order.</summary>
    public IEnumerable<VariableMeasurement> Of(SecureBootVariable variable) => Variables.Where(v => v.Variable == variable);

    /// <summary>
    /// The kernel command lines of the log (<see cref="KernelCommandLine"/>), in log order: EV_IPL events on PCR 8
    /// or 12 in a command line's form whose digest covers their text in every bank of <paramref name="banks"/>.
    /// </summary>
    public IReadOnlyList<KernelCommandLine> KernelCommandLines(IReadOnlyList<ushort> banks)
    {
        ArgumentNullException.ThrowIfNull(banks);
        var lines = new List<KernelCommandLine>();
        foreach (UntrustedEvent e in Ipl)
        {
            if (KernelCommandLine.TryRead(e, banks, out KernelCommandLine? line))
            {
                lines.Add(line);
            }
        }
        return lines;
    }

    /// <summary>
    /// The events on <paramref name="pcr"/> a <see cref="BootConfigExpectation"/> judges, in log order: all but
    /// EV_NO_ACTION (never extended), EV_SEPARATOR (the separator rule's) and the events in <paramref name="except"/>
    /// (the kernel command lines, which have their own rule).
    /// </summary>
    public IReadOnlyList<UntrustedEvent> BootConfigEvents(int pcr, IReadOnlySet<int> except)
    {
        ArgumentNullException.ThrowIfNull(except);
        return _all.Where(e => e.PcrIndex == (uint)pcr && e.EventType is not (TcgEventType.EV_NO_ACTION or TcgEventType.EV_SEPARATOR)
            && !except.Contains(e.Index)).ToList();
    }

    /// <summary>Finds the events in a parsed, untrusted <paramref name="log"/>: to make a policy from a
    /// known-good log, never to decide on evidence (that is <see cref="Find(VerifiedEventLog)"/>).</summary>
    public static MeasuredBootEvents Find(ParsedEventLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        return Find(log.UntrustedEvents);
    }

    /// <summary>Finds the events among those of <paramref name="log"/> that replayed to quoted values.</summary>
    public static MeasuredBootEvents Find(VerifiedEventLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        return Find(log.Events);
    }

    private static MeasuredBootEvents Find(IReadOnlyList<UntrustedEvent> all)
    {
        var variables = new List<VariableMeasurement>();
        var apps = new List<UntrustedEvent>();
        var ipl = new List<UntrustedEvent>();
        var separators = new List<UntrustedEvent>();
        foreach (UntrustedEvent e in all)
        {
            switch (e.EventType)
            {
                case TcgEventType.EV_EFI_VARIABLE_DRIVER_CONFIG when e.PcrIndex == SecureBootPcr:
                    if (TryReadVariable(e, out UefiVariableData? data))
                    {
                        SecureBootVariable which = SecureBootVariables.Recognize(data.VendorGuid, data.Name);
                        if (which != SecureBootVariable.None)
                        {
                            variables.Add(new VariableMeasurement(e, which, data));
                        }
                    }
                    break;
                case TcgEventType.EV_EFI_BOOT_SERVICES_APPLICATION when e.PcrIndex == BootApplicationPcr:
                    apps.Add(e);
                    break;
                case TcgEventType.EV_IPL:
                    ipl.Add(e);
                    break;
                case TcgEventType.EV_SEPARATOR:
                    separators.Add(e);
                    break;
            }
        }
        return new MeasuredBootEvents(all, variables, apps, ipl, separators);
    }

    /// <summary>The Secure Boot state one SecureBoot measurement shows: the single byte 01 is
    /// enabled; anything else, including no data, is disabled (UEFI spec §3.3: SecureBoot is 1
    /// only when Secure Boot is enforced).</summary>
    public static SecureBootState StateOf(VariableMeasurement secureBoot)
    {
        ArgumentNullException.ThrowIfNull(secureBoot);
        ReadOnlySpan<byte> value = secureBoot.Data.Data.Span;
        return value.Length == 1 && value[0] == 1 ? SecureBootState.Enabled : SecureBootState.Disabled;
    }

    /// <summary>The Secure Boot state of the log: from its first SecureBoot measurement, or
    /// <see cref="SecureBootState.NotMeasured"/>.</summary>
    public SecureBootState LogSecureBootState()
    {
        VariableMeasurement? first = Of(SecureBootVariable.SecureBoot).FirstOrDefault();
        return first is null ? SecureBootState.NotMeasured : StateOf(first);
    }

    /// <summary>
    /// True when the logged digest of <paramref name="measurement"/> in <paramref name="algorithmId"/>
    /// covers its data: H(UEFI_VARIABLE_DATA) as the PFP §10.4.4 requires for PCR 7, or H(VariableData)
    /// as pre-PFP firmware did. Only then does the data (e.g. SecureBoot = 01) say what was measured;
    /// replay binds digests, not data.
    /// </summary>
    public static bool DigestCoversData(VariableMeasurement measurement, ushort algorithmId)
    {
        ArgumentNullException.ThrowIfNull(measurement);
        if (!measurement.Event.TryGetDigest(algorithmId, out ReadOnlyMemory<byte> logged) || !TcgAlgorithms.IsComputable(algorithmId))
        {
            return false;
        }
        Span<byte> computed = stackalloc byte[TpmAlgorithms.MaxDigestSize];
        int n = TcgAlgorithms.Hash(algorithmId, measurement.Event.Data.Span, computed);
        if (computed.Slice(0, n).SequenceEqual(logged.Span))
        {
            return true;
        }
        n = TcgAlgorithms.Hash(algorithmId, measurement.Data.Data.Span, computed);
        return computed.Slice(0, n).SequenceEqual(logged.Span);
    }

    /// <summary>The device path of an image load event, or null when it does not decode.</summary>
    public static string? DevicePathOf(UntrustedEvent e) =>
        EventDecoder.Decode(e) is ImageLoadEvent load ? load.DevicePath : null;

    private static bool TryReadVariable(UntrustedEvent e, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out UefiVariableData? data)
    {
        try
        {
            data = UefiVariableData.Parse(e.Data, e.Offset + e.Length - e.Data.Length);
            return true;
        }
        catch (EventLogFormatException)
        {
            data = null;
            return false;
        }
    }
}
