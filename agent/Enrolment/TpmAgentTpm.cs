using KcryptPush.Contracts.V1;
using KcryptPush.Tpm.Client;
using KcryptPush.Tpm.Crypto;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Agent.Enrolment;

/// <summary>
/// <see cref="IAgentTpm"/> over our TPM client. The TPM is opened per operation and every
/// transient object is flushed before it returns (swtpm has no resource manager, and a TPM
/// restarted between registration and activation must not leave a stale handle behind). The EK is
/// a primary key recreated from its TCG template each time; the AK is the persistent one.
/// </summary>
public sealed class TpmAgentTpm(string tpmUri, EkKind ekKind, AkKind akKind, uint akHandle = TpmHandle.DefaultAk) : IAgentTpm
{
    private readonly Lock _gate = new();

    /// <inheritdoc/>
    public AgentIdentity ReadIdentity()
    {
        lock (_gate)
        {
            using TpmClient client = TpmClient.Open(tpmUri);
            byte[]? certificate = client.ReadEkCertificateBytes(ekKind);
            using TpmKey ek = client.CreateEk(ekKind);
            using TpmKey ak = client.GetOrCreatePersistentAk(akKind, TpmAlgId.Sha256, akHandle);
            return new AgentIdentity(TpmHash.Of(ek.Public), ek.Public.ToArray(), certificate, ak.Public.ToArray(), ak.Name);
        }
    }

    /// <inheritdoc/>
    public byte[] ActivateCredential(CredentialChallenge challenge)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        lock (_gate)
        {
            using TpmClient client = TpmClient.Open(tpmUri);
            using TpmKey ek = client.CreateEk(ekKind);
            using TpmKey ak = client.GetOrCreatePersistentAk(akKind, TpmAlgId.Sha256, akHandle);
            return client.ActivateCredential(ak, ek, challenge.CredentialBlob, challenge.EncryptedSecret);
        }
    }
}
