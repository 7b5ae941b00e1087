namespace KcryptPush.Attestation.Replay;

/// <summary>An event replay did not extend, and why (e.g. PCR index 0xFFFFFFFF or &gt;= 24, or
/// no digest for a bank). EV_NO_ACTION events are never extended and are not listed.</summary>
/// <param name="EventIndex">Index of the record in the log.</param>
/// <param name="PcrIndex">Its logged PCR index.</param>
/// <param name="Bank">The bank it was skipped in, or null when skipped in every bank.</param>
/// <param name="Reason">Why.</param>
public sealed record SkippedEvent(int EventIndex, uint PcrIndex, string? Bank, string Reason);
