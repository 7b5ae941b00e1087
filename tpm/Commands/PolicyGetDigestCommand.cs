using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Commands;

/// <summary>TPM2_PolicyGetDigest (TPM 2.0 Part 3 §23.19): handle policySession → TPM2B_DIGEST policyDigest.</summary>
public static class PolicyGetDigestCommand
{
    public static byte[] PolicyGetDigest(this TpmCommandChannel tpm, uint policySession)
    {
        TpmResponse response = tpm.Execute(new TpmCommand(TpmCc.PolicyGetDigest, [policySession], [], []));
        var r = new TpmReader(response.Parameters);
        byte[] digest = r.ReadTpm2b("TPM2B_DIGEST policyDigest").ToArray();
        r.EnsureAtEnd("TPM2_PolicyGetDigest response");
        return digest;
    }
}
