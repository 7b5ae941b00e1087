using System.Security.Cryptography;
using KcryptPush.Agent.Enrolment;
using KcryptPush.Contracts.V1;

namespace KcryptPush.Integration.Tests.Enrolment;

/// <summary>
/// A forged agent: presents TPM A's EK (and its genuine certificate) with TPM B's AK. The TPM
/// holding the EK is asked to activate the credential with its own AK; it cannot (the credential
/// is bound to B's AK Name), so the forger can only send a guess as proof.
/// </summary>
internal sealed class ForeignAkAgentTpm(TpmAgentTpm ekTpm, TpmAgentTpm akTpm) : IAgentTpm
{
    public AgentIdentity? Identity { get; private set; }

    /// <summary>What the EK's TPM said when asked to activate.</summary>
    public Exception? ActivationError { get; private set; }

    public AgentIdentity ReadIdentity()
    {
        AgentIdentity a = ekTpm.ReadIdentity();
        AgentIdentity b = akTpm.ReadIdentity();
        Identity = a with { AkPublic = b.AkPublic, AkName = b.AkName };
        return Identity;
    }

    public byte[] ActivateCredential(CredentialChallenge challenge)
    {
        try
        {
            return ekTpm.ActivateCredential(challenge);
        }
        catch (KcryptPush.Tpm.Errors.TpmException e)
        {
            ActivationError = e;
            return RandomNumberGenerator.GetBytes(32);
        }
    }
}
