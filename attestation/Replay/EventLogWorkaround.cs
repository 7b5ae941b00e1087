using KcryptPush.Attestation.EventLog;

namespace KcryptPush.Attestation.Replay;

/// <summary>An event the firmware extended but did not log: its type and the data whose hash
/// it extended.</summary>
/// <param name="EventType">The type the event would have had.</param>
/// <param name="Data">The event data; the extended digest is H(Data) in each bank.</param>
public sealed record MissingEvent(TcgEventType EventType, byte[] Data);

/// <summary>A known firmware bug whose log misses events: applied by <see cref="ReplayVerifier"/>
/// only to <see cref="AffectedPcr"/> and only when that PCR fails without it.</summary>
/// <param name="Id">Name reported with the PCR that matched only thanks to this workaround.</param>
/// <param name="AffectedPcr">The one PCR this workaround may change.</param>
/// <param name="AppendedEvents">Events appended, in order, after the logged ones.</param>
/// <param name="Description">What the firmware did wrong.</param>
public sealed record EventLogWorkaround(string Id, int AffectedPcr, IReadOnlyList<MissingEvent> AppendedEvents, string Description);
