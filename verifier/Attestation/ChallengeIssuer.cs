using System.Security.Cryptography;
using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Metrics;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Verifier.Attestation;

/// <summary>
/// Issues single-use challenges (DESIGN.md "Flows", freshness): a fresh random nonce, the configured
/// selection (all 24 PCRs of each configured bank) and an expiry; stored so they survive a restart.
/// </summary>
public sealed class ChallengeIssuer(IVerifierStore store, VerifierOptions options, TimeProvider time, VerifierMetrics? metrics = null)
{
    private static readonly int[] AllPcrs = Enumerable.Range(0, 24).ToArray();

    /// <summary>Issues and stores a challenge for <paramref name="tpmHash"/> (a write of its own).</summary>
    public Challenge Issue(string tpmHash)
    {
        ChallengeRecord record = New(tpmHash, store.FindAttestation(tpmHash));
        store.AddChallenge(record);
        metrics?.Challenges.Issued(record.Id, record.ExpiresAt);
        return ToContract(record);
    }

    /// <summary>Issues the next challenge inside the node's unit: stored when the unit commits, with the
    /// clock floor of the record as the unit saved it.</summary>
    public Challenge Issue(IVerifierUnit unit)
    {
        ArgumentNullException.ThrowIfNull(unit);
        ChallengeRecord record = New(unit.TpmHash, unit.Attestation);
        unit.PutChallenge(record);
        metrics?.Challenges.Issued(record.Id, record.ExpiresAt);
        return ToContract(record);
    }

    private ChallengeRecord New(string tpmHash, NodeAttestation? node)
    {
        DateTime now = time.GetUtcNow().UtcDateTime;
        return new ChallengeRecord
        {
            Id = Guid.NewGuid(),
            TpmHash = tpmHash,
            Nonce = RandomNumberGenerator.GetBytes(options.NonceSize),
            Selection = options.Banks.Select(b => new BankSelectionRecord { Bank = b, Pcrs = [.. AllPcrs] }).ToList(),
            IssuedAt = now,
            ExpiresAt = now + options.EffectiveChallengeExpiry,
            ClockFloor = ClockFloor.Of(node),
        };
    }

    /// <summary>The contract form of a stored challenge.</summary>
    public static Challenge ToContract(ChallengeRecord r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new Challenge(r.Id, r.TpmHash, r.Nonce, r.Selection.Select(s => new PcrBankSelection(s.Bank, [.. s.Pcrs])).ToArray(),
            new DateTimeOffset(r.ExpiresAt.ToUniversalTime(), TimeSpan.Zero));
    }
}
