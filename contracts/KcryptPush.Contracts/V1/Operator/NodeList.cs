namespace KcryptPush.Contracts.V1;

/// <summary>Verifier → operator: every node, ordered by TPM hash.</summary>
public sealed record NodeList(NodeSummary[] Nodes);
