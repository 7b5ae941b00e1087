using KcryptPush.Attestation.EventLog;

namespace KcryptPush.Attestation.Replay;

/// <summary>
/// Known firmware quirks as data (modelled on go-attestation's eventlogWorkarounds). Each entry is
/// tried only for its PCR and only after that PCR failed to match; a PCR it fixes is reported as
/// <see cref="PcrCheckStatus.MatchedOnlyWithWorkaround"/>.
/// </summary>
public static class EventLogWorkarounds
{
    /// <summary>The table.</summary>
    public static IReadOnlyList<EventLogWorkaround> All { get; } =
    [
        new EventLogWorkaround(
            Id: "EBS Invocation + Success",
            AffectedPcr: 5,
            AppendedEvents:
            [
                // EDK2 measures these EV_EFI_ACTION strings (PFP §10.4.4) into PCR 5 at ExitBootServices.
                new MissingEvent(TcgEventType.EV_EFI_ACTION, "Exit Boot Services Invocation"u8.ToArray()),
                new MissingEvent(TcgEventType.EV_EFI_ACTION, "Exit Boot Services Returned with Success"u8.ToArray()),
            ],
            Description: "Some firmware (seen on HP desktops) extends PCR 5 with the two ExitBootServices "
                + "EV_EFI_ACTION events but does not log them."),
    ];
}
