namespace KcryptPush.Contracts.V1;

/// <summary>One line of <see cref="NodeList"/>.</summary>
/// <param name="TpmHash">The node.</param>
/// <param name="Hostname">Its host name.</param>
/// <param name="State">One of <see cref="NodeStates"/>.</param>
/// <param name="LastAttestationAt">When its last evidence was judged, if ever.</param>
/// <param name="LastVerdict">The last verdict, if any.</param>
public sealed record NodeSummary(
    string TpmHash,
    string Hostname,
    string State,
    DateTimeOffset? LastAttestationAt,
    string? LastVerdict);
