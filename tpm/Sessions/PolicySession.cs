using KcryptPush.Tpm.Commands;
using KcryptPush.Tpm.Release;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Sessions;

/// <summary>
/// A started policy session (TPM 2.0 Part 3 §11.1, sessionType TPM_SE_POLICY, unsalted and
/// unbound) that is flushed on dispose. swtpm has no resource manager, so every session must be
/// flushed on every path; a session the TPM already ended is ignored.
/// </summary>
public sealed class PolicySession : IDisposable
{
    private readonly TpmCommandChannel _tpm;
    private bool _disposed;

    private PolicySession(TpmCommandChannel tpm, TpmStartedSession started)
    {
        _tpm = tpm;
        Handle = started.Handle;
        HashAlg = started.AuthHash;
    }

    public uint Handle { get; }

    public TpmAlgId HashAlg { get; }

    /// <summary>The authorization that puts this session in a command's auth slot (no HMAC; kept open).</summary>
    public TpmAuthorization Authorization => TpmAuthorization.Policy(Handle);

    public static PolicySession Start(TpmCommandChannel tpm, TpmAlgId hash)
    {
        ArgumentNullException.ThrowIfNull(tpm);
        return new PolicySession(tpm, tpm.StartAuthSession(TpmSessionType.Policy, hash));
    }

    /// <summary>
    /// A session that satisfies an EK's authPolicy (TPM-FACTS §3): session hash = the EK's nameAlg,
    /// PolicySecret(TPM_RH_ENDORSEMENT) with the endorsement password, then for PolicyB
    /// (H-3 P-384) PolicyOR([A, C]). Use it once; the digest resets after a successful use.
    /// </summary>
    public static PolicySession ForEk(TpmCommandChannel tpm, TpmtPublic ekPublic, ReadOnlySpan<byte> endorsementAuth = default)
    {
        ArgumentNullException.ThrowIfNull(ekPublic);
        IReadOnlyList<byte[]>? branches = EkPolicy.OrBranchesFor(ekPublic.NameAlg, ekPublic.AuthPolicy);
        PolicySession session = Start(tpm, ekPublic.NameAlg);
        try
        {
            tpm.PolicySecret(TpmHandle.RhEndorsement, session.Handle, endorsementAuth);
            if (branches is not null)
            {
                tpm.PolicyOr(session.Handle, branches);
            }
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A session that satisfies a release key's authPolicy (<see cref="ReleaseKeyPolicy"/>, TPM-FACTS §8a):
    /// SHA-256, then TPM2_PolicyPCR(<paramref name="selection"/>) with an empty pcrDigest, so the TPM
    /// binds its own current values (Part 3 §23.7; if they are not the quoted ones the digest is not the
    /// key's authPolicy and the use fails), TPM2_PolicyCounterTimer(resetCount ==
    /// <paramref name="resetCount"/>) (§23.10; fails with TPM_RC_POLICY in another boot), and
    /// TPM2_PolicyCommandCode(TPM2_ActivateCredential) (§23.11). Use it once, for ActivateCredential's
    /// activateHandle; it is flushed here when an assertion fails.
    /// </summary>
    public static PolicySession ForReleaseKey(TpmCommandChannel tpm, TpmlPcrSelection selection, uint resetCount)
    {
        ArgumentNullException.ThrowIfNull(selection);
        PolicySession session = Start(tpm, ReleaseKeyPolicy.Hash);
        try
        {
            tpm.PolicyPcr(session.Handle, [], selection);
            tpm.PolicyCounterTimer(
                session.Handle,
                ReleaseKeyPolicy.CounterTimerOperand(resetCount),
                ReleaseKeyPolicy.ResetCountOffset,
                ReleaseKeyPolicy.OperationEqual);
            tpm.PolicyCommandCode(session.Handle, TpmCc.ActivateCredential);
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>The session's current policy digest (TPM2_PolicyGetDigest).</summary>
    public byte[] GetDigest() => _tpm.PolicyGetDigest(Handle);

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _tpm.FlushQuietly(Handle);
        }
    }
}
