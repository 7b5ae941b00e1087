using System.Buffers.Binary;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Sessions;

/// <summary>
/// The EK authorization policies of the TCG EK Credential Profile (TPM-FACTS §3), computed with the
/// policy digest rules of TPM 2.0 Part 3 §23 rather than copied:
/// PolicyA = PolicySecret(TPM_RH_ENDORSEMENT); PolicyC = PolicyAuthorizeNV(the profile's policy
/// index for the hash: 0x01C07F01 SHA-256, 0x01C07F02 SHA-384, 0x01C07F03 SHA-512);
/// PolicyB = PolicyOR(PolicyA, PolicyC), used by the high-range (H-*) templates.
/// </summary>
public static class EkPolicy
{
    private const uint CcPolicySecret = (uint)TpmCc.PolicySecret;
    private const uint CcPolicyOr = (uint)TpmCc.PolicyOR;
    private const uint CcPolicyAuthorizeNv = (uint)TpmCc.PolicyAuthorizeNV;

    /// <summary>The TPMA_NV of the profile's policy indexes (I-1/I-2/I-3).</summary>
    private const uint PolicyIndexAttributes = 0x220F1008;

    /// <summary>PolicyA: <c>d = H(H(zeros‖CC_PolicySecret‖4000000B)‖empty policyRef)</c>.</summary>
    public static byte[] PolicyA(TpmAlgId hash)
    {
        byte[] d = new byte[Size(hash)];
        d = Extend(hash, d, CcPolicySecret, TpmName.OfHandle(TpmHandle.RhEndorsement));
        return TpmAlgorithms.Hash(hash, d);
    }

    /// <summary>PolicyC: <c>d = H(zeros‖CC_PolicyAuthorizeNV‖Name(policy index))</c>.</summary>
    public static byte[] PolicyC(TpmAlgId hash)
    {
        var index = new TpmsNvPublic
        {
            NvIndex = PolicyIndexFor(hash),
            NameAlg = hash,
            Attributes = (TpmaNv)PolicyIndexAttributes,
            AuthPolicy = PolicyA(hash),
            DataSize = (ushort)(Size(hash) + 2),
        };
        return Extend(hash, new byte[Size(hash)], CcPolicyAuthorizeNv, index.ComputeName());
    }

    /// <summary>PolicyB: <c>d = H(zeros‖CC_PolicyOR‖PolicyA‖PolicyC)</c>.</summary>
    public static byte[] PolicyB(TpmAlgId hash) =>
        Extend(hash, new byte[Size(hash)], CcPolicyOr, [.. PolicyA(hash), .. PolicyC(hash)]);

    /// <summary>
    /// The PolicyOR branches to apply after PolicySecret for an EK whose authPolicy is
    /// <paramref name="authPolicy"/>: none for PolicyA, [A, C] for PolicyB.
    /// </summary>
    /// <exception cref="NotSupportedException">An EK policy that is neither (we would only get TPM_RC_POLICY_FAIL).</exception>
    public static IReadOnlyList<byte[]>? OrBranchesFor(TpmAlgId hash, ReadOnlySpan<byte> authPolicy)
    {
        if (authPolicy.SequenceEqual(PolicyA(hash)))
        {
            return null;
        }
        if (authPolicy.SequenceEqual(PolicyB(hash)))
        {
            return [PolicyA(hash), PolicyC(hash)];
        }
        throw new NotSupportedException(
            $"the EK's authPolicy {Convert.ToHexString(authPolicy)} is neither PolicyA nor PolicyB of the TCG EK Credential Profile for {hash}");
    }

    private static uint PolicyIndexFor(TpmAlgId hash) => hash switch
    {
        TpmAlgId.Sha256 => 0x01C07F01,
        TpmAlgId.Sha384 => 0x01C07F02,
        TpmAlgId.Sha512 => 0x01C07F03,
        _ => throw new NotSupportedException($"the EK Credential Profile defines no policy index for {hash}"),
    };

    private static int Size(TpmAlgId hash)
    {
        int size = TpmAlgorithms.GetDigestSize(hash);
        return size > 0 ? size : throw new NotSupportedException($"{hash} is not a hash algorithm");
    }

    private static byte[] Extend(TpmAlgId hash, byte[] digest, uint commandCode, ReadOnlySpan<byte> data)
    {
        byte[] input = new byte[digest.Length + 4 + data.Length];
        digest.CopyTo(input, 0);
        BinaryPrimitives.WriteUInt32BigEndian(input.AsSpan(digest.Length), commandCode);
        data.CopyTo(input.AsSpan(digest.Length + 4));
        return TpmAlgorithms.Hash(hash, input);
    }
}
