using KcryptPush.Tpm.Commands;
using KcryptPush.Tpm.Errors;
using KcryptPush.Tpm.Release;
using KcryptPush.Tpm.Sessions;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Client;

/// <summary>The release key (DESIGN.md "Flows", TPM-FACTS §8a): create it, and open a credential bound to it.</summary>
public sealed partial class TpmClient
{
    /// <summary>
    /// TPM2_CreatePrimary (TPM 2.0 Part 3 §24.1) of <paramref name="template"/> (from
    /// <see cref="ReleaseKeyTemplate.Create"/>) in TPM_RH_NULL, whose authValue is always empty. The
    /// NULL hierarchy's seed is replaced at every TPM Reset (Part 1, "Hierarchies": the NULL
    /// hierarchy; TPM-FACTS §8a saw another Name after a reset), so the key and its Name exist
    /// for this boot only. Disposing the key flushes it.
    /// </summary>
    /// <exception cref="TpmException">The TPM refused the template.</exception>
    public TpmKey CreateReleaseKey(TpmtPublic template)
    {
        ArgumentNullException.ThrowIfNull(template);
        return CreatePrimary(TpmHandle.RhNull, template, default);
    }

    /// <summary>
    /// TPM2_ActivateCredential (Part 3 §12.5) with the release key as activateHandle (ADMIN role;
    /// adminWithPolicy is set, so a policy session replaying PolicyPCR(<paramref name="selection"/>)
    /// ∧ PolicyCounterTimer(<paramref name="resetCount"/>) ∧ PolicyCommandCode(ActivateCredential))
    /// and the EK as keyHandle (its own policy session). Both sessions are flushed on every path.
    /// </summary>
    /// <param name="credentialBlob">TPM2B_ID_OBJECT contents (no size prefix).</param>
    /// <param name="encryptedSecret">TPM2B_ENCRYPTED_SECRET contents (no size prefix).</param>
    /// <returns>The credential (certInfo).</returns>
    /// <exception cref="TpmException">
    /// The PCRs are not the quoted ones (TPM_RC_POLICY_FAIL on session 1), this is another boot
    /// (TPM_RC_POLICY from PolicyCounterTimer), the credential was made to another Name or EK
    /// (TPM_RC_INTEGRITY), or another TPM error.
    /// </exception>
    public byte[] ActivateWithReleaseKey(
        TpmKey releaseKey,
        TpmKey ek,
        TpmlPcrSelection selection,
        uint resetCount,
        ReadOnlySpan<byte> credentialBlob,
        ReadOnlySpan<byte> encryptedSecret,
        ReadOnlySpan<byte> endorsementAuth = default)
    {
        ArgumentNullException.ThrowIfNull(releaseKey);
        ArgumentNullException.ThrowIfNull(ek);
        ArgumentNullException.ThrowIfNull(selection);
        using PolicySession releaseSession = PolicySession.ForReleaseKey(Channel, selection, resetCount);
        using PolicySession ekSession = PolicySession.ForEk(Channel, ek.Public, endorsementAuth);
        return Channel.ActivateCredential(
            releaseKey.Handle,
            releaseSession.Authorization,
            ek.Handle,
            ekSession.Authorization,
            credentialBlob,
            encryptedSecret);
    }
}
