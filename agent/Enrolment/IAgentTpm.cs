using KcryptPush.Contracts.V1;

namespace KcryptPush.Agent.Enrolment;

/// <summary>
/// The two TPM operations enrolment needs, behind a seam so the enrolment state machine can be
/// exercised with other key combinations (tests present one TPM's EK with another TPM's AK).
/// </summary>
public interface IAgentTpm
{
    /// <summary>Creates the EK, gets or creates the persistent AK and reads the EK certificate.</summary>
    /// <exception cref="KcryptPush.Tpm.Transport.TpmTransportException">The TPM cannot be reached (transient).</exception>
    AgentIdentity ReadIdentity();

    /// <summary>
    /// TPM2_ActivateCredential (TPM 2.0 Part 3 §12.5) on <paramref name="challenge"/> with the EK and
    /// the AK: returns the recovered credential (certInfo contents). Never sent anywhere.
    /// </summary>
    /// <exception cref="KcryptPush.Tpm.Errors.TpmException">The TPM refused: the credential is not bound to this EK and AK.</exception>
    byte[] ActivateCredential(CredentialChallenge challenge);
}
