using System.Security.Cryptography;
using KcryptPush.Attestation.BootPolicy;
using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Attestation;
using KcryptPush.Verifier.Enrolment;
using KcryptPush.Verifier.Nodes;
using KcryptPush.Verifier.Policies;
using KcryptPush.Verifier.Store;
using KcryptPush.Verifier.Verdicts;

namespace KcryptPush.Verifier.Operator;

/// <summary>
/// What the operator commands do (DESIGN.md "Policy: selective enrollment"; issue 4 item 6), on the
/// verifier's store, each change in one unit of the node; the consumers only translate messages. A node is known when the registrar
/// enrolled it or it has an attestation record. Every change goes to the node's audit trail under
/// the operator's name; secret values never do.
/// </summary>
public sealed class NodeOperations(IVerifierStore store, SecretTransportKey secretKey, TimeProvider time, DefaultBootPolicy? fleetBootPolicy = null, QuarantineDetails? quarantines = null)
{
    /// <summary>History records <see cref="Show"/> returns.</summary>
    public const int HistoryShown = 20;

    /// <summary>Audit entries <see cref="Show"/> returns.</summary>
    public const int AuditShown = 50;

    /// <summary>The AK policy shown while the node has no record yet (TOFU on the next pass).</summary>
    public const string AkTofu = "tofu";

    /// <summary>Every node, ordered by TPM hash.</summary>
    public NodeList List()
    {
        Dictionary<string, VerifierNode> enrolled = store.ListNodes().ToDictionary(n => n.TpmHash, StringComparer.Ordinal);
        Dictionary<string, NodeAttestation> records = store.AllAttestations().ToDictionary(r => r.TpmHash, StringComparer.Ordinal);
        NodeSummary[] list = enrolled.Keys.Union(records.Keys).Order(StringComparer.Ordinal).Select(hash =>
        {
            VerifierNode? node = enrolled.GetValueOrDefault(hash);
            NodeAttestation? rec = records.GetValueOrDefault(hash);
            NodeSummary summary = new(hash, node?.Hostname ?? "", rec?.State ?? NodeStates.Pending, Utc(rec?.LastAttestationAt), rec?.LastVerdict);
            // Why it is not trusted: while quarantined, and once silent after a failure (evidence that never
            // completes, e.g. a PCR policy violation judged on the signed values alone, ends as Silent).
            return rec is { State: NodeStates.Quarantined } || rec is { State: NodeStates.Silent, LastVerdict: AttestationVerdicts.Fail }
                ? WhyQuarantined(summary, rec)
                : summary;
        }).ToArray();
        return new NodeList(list);
    }

    // The reasons of the quarantine as published (with failing PCRs and event) while this process
    // remembers it (QuarantineDetails), then those of the last failed attestation when they differ (a
    // node quarantined for one reason can keep failing for another, and no new quarantine is published
    // while it stays quarantined); else an operator's hold, else the last failed attestation's reasons.
    private NodeSummary WhyQuarantined(NodeSummary summary, NodeAttestation rec)
    {
        if (quarantines?.Find(rec.TpmHash) is { } q)
        {
            return summary with { Reasons = [.. q.Reasons.Concat(LastFailure(rec.TpmHash)).Distinct()], FailingPcrs = q.FailingPcrs, FirstBrokenEvent = q.FirstBrokenEvent };
        }

        if (rec.OperatorQuarantine is { } hold)
        {
            return summary with { Reasons = [new AttestationReason(AttestationReasonCodes.OperatorQuarantine, $"quarantined by {hold}")] };
        }

        return summary with { Reasons = LastFailure(rec.TpmHash) };
    }

    // A few records back: a retry (log asked for) can follow the failure that quarantined the node.
    private AttestationReason[] LastFailure(string tpmHash) =>
        store.History(tpmHash, 5).FirstOrDefault(h => h.Verdict == AttestationVerdicts.Fail) is { } failed
            ? [.. failed.Codes.Select((c, i) => new AttestationReason(c, i < failed.Messages.Count ? failed.Messages[i] : ""))]
            : [];

    /// <summary>One node in full (secret labels, never values), or null when unknown.</summary>
    public NodeDetails? Show(string tpmHash)
    {
        VerifierNode? node = store.FindNode(tpmHash);
        NodeAttestation? rec = store.FindAttestation(tpmHash);
        if (node is null && rec is null)
        {
            return null;
        }

        PcrPolicyEntry[] pcrs = (rec?.Pcrs ?? []).Select(p => new PcrPolicyEntry(p.Bank, p.Index, p.Mode, p.Mode == PolicyModes.Enforce ? p.Value : null)).ToArray();
        AttestationRecord[] history = store.History(tpmHash, HistoryShown).Select(h => new AttestationRecord(
            Utc(h.At), h.Verdict, h.Codes.Select((c, i) => new AttestationReason(c, i < h.Messages.Count ? h.Messages[i] : "")).ToArray(),
            unchecked((uint)h.ResetCount), unchecked((ulong)h.Clock))).ToArray();
        IEnumerable<NodeAuditEntry> audit = store.Audit(tpmHash, AuditShown).Select(a => new NodeAuditEntry(Utc(a.At), a.Actor, a.What, a.OldValue, a.NewValue));
        IEnumerable<NodeAuditEntry> enrolment = store.EnrolmentEvents(tpmHash).Select(e => new NodeAuditEntry(
            Utc(e.At), "registrar", e.Event == "added" ? "enrolled" : "ak enrolled", e.OldAkName, e.NewAkName));
        byte[]? akName = node?.AkName ?? rec?.AkName;
        return new NodeDetails(
            tpmHash,
            node?.Hostname ?? "",
            rec?.State ?? NodeStates.Pending,
            akName is null ? "" : Convert.ToHexStringLower(akName),
            rec is null || rec.AkMode is null || (rec.AkMode == PolicyModes.Enforce && rec.AkName is null) ? AkTofu : rec.AkMode,
            pcrs,
            rec?.BootPolicyJson is not null,
            [.. store.SecretLabels(tpmHash)],
            rec?.AttestationsPassed ?? 0,
            rec?.MaxAttestations,
            history,
            audit.Concat(enrolment).OrderByDescending(a => a.At).Take(AuditShown).ToArray(),
            rec?.PcrTofuPending ?? true,
            rec?.TpmFirmwareVersion is { } fw ? AttestationPipeline.FirmwareText(fw) : null,
            rec?.BootPolicyJson is null && fleetBootPolicy is not null);
    }

    /// <summary>Sets one PCR's policy: <c>enforce</c> with a hex value of the bank's digest size, <c>learn</c> or <c>skip</c>.</summary>
    public OperatorCommandResult SetPcrPolicy(SetPcrPolicy m)
    {
        ArgumentNullException.ThrowIfNull(m);
        if (Problem(m.TpmHash, m.Operator) is { } bad)
        {
            return bad;
        }

        if (!OperatorInput.TryDigestSize(m.Bank, out _))
        {
            return OperatorResults.Bad($"unknown PCR bank '{m.Bank}' (sha1, sha256, sha384, sha512)");
        }

        if (m.Index is < 0 or >= OperatorInput.PcrCount)
        {
            return OperatorResults.Bad($"PCR index {m.Index} is outside 0..{OperatorInput.PcrCount - 1}");
        }

        switch (m.Mode)
        {
            case PolicyModes.Enforce when OperatorInput.PcrValueProblem(m.Bank, m.Value) is { } problem:
                return OperatorResults.Bad(problem);
            case PolicyModes.Learn or PolicyModes.Skip when !string.IsNullOrEmpty(m.Value):
                return OperatorResults.Bad($"{m.Mode} takes no value");
            case PolicyModes.Enforce or PolicyModes.Learn or PolicyModes.Skip:
                break;
            default:
                return OperatorResults.Bad($"PCR policy mode must be enforce, learn or skip, not '{m.Mode}'");
        }

        if (!Known(m.TpmHash))
        {
            return OperatorResults.Unknown(m.TpmHash);
        }

        string? value = m.Mode == PolicyModes.Enforce ? m.Value!.ToLowerInvariant() : null;
        using (IVerifierUnit unit = store.BeginNode(m.TpmHash))
        {
            PolicyEdits.SetPcr(unit, m.Bank, m.Index, m.Mode, value, m.Operator, Now);
            unit.Commit();
        }

        return OperatorResults.Success($"{m.Bank}:{m.Index} {m.Mode}{(value is null ? "" : " " + value)}");
    }

    /// <summary>
    /// Sets the AK policy. <c>enforce</c> on a node that has no AK on record yet pins the AK the
    /// registrar enrolled (otherwise nothing could match).
    /// </summary>
    public OperatorCommandResult SetAkPolicy(SetAkPolicy m)
    {
        ArgumentNullException.ThrowIfNull(m);
        if (Problem(m.TpmHash, m.Operator) is { } bad)
        {
            return bad;
        }

        if (m.Mode is not (PolicyModes.Enforce or PolicyModes.Learn or PolicyModes.Skip))
        {
            return OperatorResults.Bad($"AK policy mode must be enforce, learn or skip, not '{m.Mode}'");
        }

        using (IVerifierUnit unit = store.BeginNode(m.TpmHash))
        {
            VerifierNode? node = unit.Node;
            NodeAttestation? rec = unit.Attestation;
            if (node is null && rec is null)
            {
                return OperatorResults.Unknown(m.TpmHash);
            }

            bool pin = m.Mode == PolicyModes.Enforce && rec?.AkName is null;
            if (pin && node is null)
            {
                return OperatorResults.Bad("enforce needs an AK: the node has none on record and is not enrolled");
            }

            DateTime now = Now;
            PolicyEdits.SetAk(unit, m.Mode, m.Operator, now);
            if (pin)
            {
                NodeAttestation saved = unit.Attestation!;
                saved.AkName = node!.AkName;
                unit.Save(saved);
                unit.AddAudit(m.Operator, "ak", null, Convert.ToHexStringLower(node.AkName), now);
            }

            unit.Commit();
        }

        return OperatorResults.Success($"AK policy {m.Mode}");
    }

    /// <summary>
    /// Attaches a measured-boot policy to the node (<see cref="SetBootPolicy.PolicyJson"/>, validated here and stored
    /// as <see cref="BootPolicyJson.Write"/> writes it), replacing the fleet default for it; with null removes the
    /// node's own policy, so the fleet default (if any) applies again. Audited under the operator with the
    /// SHA-256 of the old and new policy.
    /// </summary>
    public OperatorCommandResult SetBootPolicy(SetBootPolicy m)
    {
        ArgumentNullException.ThrowIfNull(m);
        const int MaxBootPolicyChars = 1 << 20; // a policy is a few KB
        static string? PolicyDigest(string? json) =>
            json is null ? null : "sha256:" + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(json)));

        if (Problem(m.TpmHash, m.Operator) is { } bad)
        {
            return bad;
        }

        string? stored = null;
        if (m.PolicyJson is not null)
        {
            if (m.PolicyJson.Length > MaxBootPolicyChars)
            {
                return OperatorResults.Bad($"a measured-boot policy is at most {MaxBootPolicyChars} characters, this one {m.PolicyJson.Length}");
            }

            try
            {
                // Without the final newline: LiteDB trims strings, and the audit's digests are of what is stored.
                stored = BootPolicyJson.Write(BootPolicyJson.Load(m.PolicyJson)).TrimEnd();
            }
            catch (BootPolicyFormatException e)
            {
                return OperatorResults.Bad($"not a valid measured-boot policy: {e.Message}");
            }
        }

        using (IVerifierUnit unit = store.BeginNode(m.TpmHash))
        {
            if (unit.Node is null && unit.Attestation is null)
            {
                return OperatorResults.Unknown(m.TpmHash);
            }

            DateTime now = Now;
            NodeAttestation rec = unit.GetOrNewAttestation(now);
            string? old = rec.BootPolicyJson;
            if (string.Equals(old, stored, StringComparison.Ordinal))
            {
                return OperatorResults.Success(stored is null ? "no boot policy of its own: nothing changed" : "this boot policy is already attached: nothing changed");
            }

            rec.BootPolicyJson = stored;
            unit.Save(rec);
            unit.AddAudit(m.Operator, "boot policy", PolicyDigest(old), PolicyDigest(stored), now);
            unit.Commit();
        }

        return OperatorResults.Success(stored is null
            ? "boot policy removed: the fleet default boot policy, if any, applies"
            : $"boot policy attached ({PolicyDigest(stored)})");
    }

    /// <summary>Opens the passphrase with the verifier's transport key and stores it sealed at rest
    /// (<see cref="SecretAtRestKey"/>; the audit names the label, never the value). The node need not
    /// have enrolled yet: a passphrase can be provisioned by TPM hash ahead of the node's first boot.</summary>
    public OperatorCommandResult SetSecret(SetSecret m)
    {
        ArgumentNullException.ThrowIfNull(m);
        if (Problem(m.TpmHash, m.Operator) is { } bad)
        {
            return bad;
        }

        if (!OperatorInput.IsText(m.Label))
        {
            return OperatorResults.Bad($"a secret label is 1..{OperatorInput.MaxTextLength} characters without control characters");
        }

        byte[] passphrase;
        try
        {
            passphrase = SecretTransport.Open(secretKey.Key, m);
        }
        catch (SecretTransportException e)
        {
            return OperatorResults.Bad(e.Message);
        }

        try
        {
            if (passphrase.Length == 0)
            {
                return OperatorResults.Bad("the passphrase is empty");
            }

            // DESIGN.md: an operator-provisioned passphrase, with attestation data learned on first
            // contact. A node that has not enrolled yet gets a Pending record (TOFU for AK and PCRs
            // as for any new node), so list, show and delete know it.
            bool enrolled;
            using (IVerifierUnit unit = store.BeginNode(m.TpmHash))
            {
                enrolled = unit.Node is not null;
                if (unit.Attestation is null)
                {
                    unit.Save(unit.GetOrNewAttestation(Now));
                }

                unit.SetSecret(m.Label, passphrase, m.Operator, Now);
                unit.Commit();
            }

            return OperatorResults.Success(enrolled
                ? $"secret {m.Label} set"
                : $"secret {m.Label} set for a node that has not enrolled yet: released once it enrols and passes attestation");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passphrase);
        }
    }

    /// <summary>
    /// Quarantines the node now and holds it there until <see cref="Release"/> (passing evidence does
    /// not lift an operator's quarantine: <see cref="OperatorQuarantinePolicy"/>). Returns the
    /// <see cref="NodeQuarantined"/> (reason code <c>operator-quarantine</c>), staged in the node's record
    /// for <see cref="VerdictOutbox"/>, only when the state changed.
    /// </summary>
    public (OperatorCommandResult Result, NodeQuarantined? Verdict) Quarantine(QuarantineNode m)
    {
        ArgumentNullException.ThrowIfNull(m);
        if (Problem(m.TpmHash, m.Operator) is { } bad)
        {
            return (bad, null);
        }

        if (!OperatorInput.IsText(m.Reason))
        {
            return (OperatorResults.Bad($"a quarantine needs a reason (1..{OperatorInput.MaxTextLength} characters)"), null);
        }

        using (IVerifierUnit unit = store.BeginNode(m.TpmHash))
        {
            VerifierNode? node = unit.Node;
            if (node is null && unit.Attestation is null)
            {
                return (OperatorResults.Unknown(m.TpmHash), null);
            }

            DateTime now = Now;
            NodeAttestation rec = unit.GetOrNewAttestation(now);
            NodeTransition t = States.Decide(rec, node?.Hostname ?? "", new OperatorQuarantined(m.Operator, m.Reason), now);
            if (!t.WritesNothing)
            {
                NodeTransitionWriter.Write(unit, rec, t, now);
                unit.Commit();
            }

            return (OperatorResults.Success(t.Note!), t.Verdict as NodeQuarantined);
        }
    }

    /// <summary>
    /// Lifts a quarantine (and an operator's hold): the node is Pending until its next attestation.
    /// When the state changed, a <see cref="NodeReleased"/> is staged in the node's record for
    /// <see cref="VerdictOutbox"/> and returned.
    /// </summary>
    public (OperatorCommandResult Result, NodeReleased? Verdict) Release(ReleaseNode m)
    {
        ArgumentNullException.ThrowIfNull(m);
        if (Problem(m.TpmHash, m.Operator) is { } bad)
        {
            return (bad, null);
        }

        using (IVerifierUnit unit = store.BeginNode(m.TpmHash))
        {
            NodeAttestation? rec = unit.Attestation;
            if (rec is null)
            {
                return (unit.Node is null
                    ? OperatorResults.Unknown(m.TpmHash)
                    : OperatorResults.Success($"{NodeStates.Pending}, not quarantined: nothing changed"), null);
            }

            DateTime now = Now;
            NodeTransition t = States.Decide(rec, unit.Node?.Hostname ?? "", new OperatorReleased(m.Operator), now);
            if (!t.WritesNothing)
            {
                NodeTransitionWriter.Write(unit, rec, t, now);
                unit.Commit();
            }

            return (OperatorResults.Success(t.Note!), t.Verdict as NodeReleased);
        }
    }

    /// <summary>Forgets the node: enrolment, policy, state, secrets, history (the audit trail stays).</summary>
    public OperatorCommandResult Delete(DeleteNode m)
    {
        ArgumentNullException.ThrowIfNull(m);
        if (Problem(m.TpmHash, m.Operator) is { } bad)
        {
            return bad;
        }

        using (IVerifierUnit unit = store.BeginNode(m.TpmHash))
        {
            if (unit.Node is null && unit.Attestation is null)
            {
                return OperatorResults.Unknown(m.TpmHash);
            }

            unit.DeleteNode(m.Operator, Now);
            unit.Commit();
        }

        return OperatorResults.Success("deleted");
    }

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    // Operator events do not re-learn: the limit is not consulted.
    private static NodeStateMachine States { get; } = new(relearnsPerDay: 0);

    private bool Known(string tpmHash) => store.FindNode(tpmHash) is not null || store.FindAttestation(tpmHash) is not null;

    private static OperatorCommandResult? Problem(string? tpmHash, string? operatorName)
    {
        if (!OperatorInput.IsTpmHash(tpmHash))
        {
            return OperatorResults.Bad($"a TPM hash is 64 lowercase hex digits, not '{tpmHash}'");
        }

        return OperatorInput.IsText(operatorName) ? null : OperatorResults.Bad("the operator name is missing");
    }

    private static DateTimeOffset Utc(DateTime at) => new(DateTime.SpecifyKind(at.ToUniversalTime(), DateTimeKind.Utc), TimeSpan.Zero);

    private static DateTimeOffset? Utc(DateTime? at) => at is { } v ? Utc(v) : null;
}
