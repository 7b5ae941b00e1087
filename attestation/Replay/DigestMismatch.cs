namespace KcryptPush.Attestation.Replay;

/// <summary>An event whose logged digest is not the digest the spec defines over its data. Reported
/// for review; replay still uses the logged digest (a finding, not a replay failure).</summary>
/// <param name="EventIndex">Index of the record in the log.</param>
/// <param name="PcrIndex">Its logged PCR index.</param>
/// <param name="EventType">Its type name.</param>
/// <param name="Bank">The bank whose digest differs.</param>
/// <param name="Rule">Which rule was checked, e.g. "H(event data)".</param>
/// <param name="Logged">The logged digest.</param>
/// <param name="Computed">The digest the rule gives (the first alternative when there are several).</param>
public sealed record DigestMismatch(
    int EventIndex, uint PcrIndex, string EventType, string Bank, string Rule, byte[] Logged, byte[] Computed);
