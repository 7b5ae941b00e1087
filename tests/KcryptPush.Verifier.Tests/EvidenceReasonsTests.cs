using KcryptPush.Attestation.Evidence;
using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Attestation;

namespace KcryptPush.Verifier.Tests;

/// <summary>Each evidence code is answered with its own contract reason, named, never by a default branch.</summary>
[Trait("Category", "Unit")]
public sealed class EvidenceReasonsTests
{
    [Fact]
    public void Every_evidence_code_has_a_reason_code_and_an_unusable_ak_is_an_invalid_signature()
    {
        string[] known = typeof(AttestationReasonCodes).GetFields().Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToArray();
        foreach (EvidenceCode code in Enum.GetValues<EvidenceCode>())
        {
            Assert.Contains(EvidenceReasons.CodeOf(code), known);
        }

        Assert.Equal(AttestationReasonCodes.SignatureInvalid, EvidenceReasons.CodeOf(EvidenceCode.AkMalformed));
        Assert.Equal(AttestationReasonCodes.SignatureInvalid, EvidenceReasons.CodeOf(EvidenceCode.AkUnusable));
        Assert.Equal(AttestationReasonCodes.ReleaseKeyMismatch, EvidenceReasons.CodeOf(EvidenceCode.ReleaseKeyMismatch));
        Assert.Throws<ArgumentOutOfRangeException>(() => EvidenceReasons.CodeOf((EvidenceCode)999));
    }
}
