using KcryptPush.Contracts.V1;
using KcryptPush.Messaging;
using KcryptPush.Registrar.Enrolment;
using KcryptPush.Registrar.Store;
using KcryptPush.Registrar.Tests.Support;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Registrar.Tests;

[Trait("Category", "Unit")]
public sealed class EnrolmentServiceTests
{
    [Theory]
    [InlineData("rsa")]
    [InlineData("ecc")]
    public void A_node_with_a_trusted_EK_certificate_enrols_through_software_activation(string kind)
    {
        using var f = new EnrolmentFixture();
        using SoftwareTpm tpm = kind == "rsa" ? SoftwareTpm.CreateRsa() : SoftwareTpm.CreateEcc();

        ProofOutcome outcome = f.Enrol(tpm);

        Assert.Null(outcome.Rejection);
        NodeEnrolled enrolled = Assert.IsType<NodeEnrolled>(outcome.Enrolled);
        Assert.Equal(tpm.TpmHash, enrolled.TpmHash);
        Assert.Equal(tpm.AkName, enrolled.AkName);
        Assert.Equal(tpm.Ek.ToArray(), enrolled.EkPublic);
        NodeRecord node = Assert.IsType<NodeRecord>(f.Store.FindNode(tpm.TpmHash));
        Assert.Equal(NodeState.Enrolled, node.State);
        Assert.Equal(EkTrustMethods.Certificate, node.EkTrust);
        Assert.Equal(tpm.AkName, node.AkName);
        Assert.Equal([AuditEvents.ChallengeIssued, AuditEvents.Enrolled], f.Store.AuditOf(tpm.TpmHash).Select(a => a.Event));
        Assert.Equal(1, f.Metrics.Enrolled);
    }

    [Fact]
    public void A_claimed_TPM_hash_that_is_not_the_EKs_is_rejected()
    {
        using var f = new EnrolmentFixture();
        using SoftwareTpm tpm = SoftwareTpm.CreateEcc();
        using SoftwareTpm other = SoftwareTpm.CreateEcc();

        RegistrationOutcome outcome = f.Service.Register(f.RegisterFor(tpm, claimedHash: other.TpmHash));

        Assert.Null(outcome.Challenge);
        Assert.Equal(EnrolmentRejectionReasons.TpmHashMismatch, outcome.Rejection!.ReasonCode);
        Assert.Null(f.Store.FindNode(tpm.TpmHash));
        Assert.Null(f.Store.FindNode(other.TpmHash));
        Assert.Equal(1, f.Metrics.RejectedFor(EnrolmentRejectionReasons.TpmHashMismatch));
    }

    [Theory]
    [InlineData(TpmaObject.FixedTpm)]
    [InlineData(TpmaObject.FixedParent)]
    [InlineData(TpmaObject.SensitiveDataOrigin)]
    [InlineData(TpmaObject.Restricted)]
    [InlineData(TpmaObject.Sign)]
    public void An_AK_missing_a_restricted_signing_attribute_is_rejected(TpmaObject missing)
    {
        using var f = new EnrolmentFixture();
        using SoftwareTpm tpm = SoftwareTpm.CreateEcc(akAttributes: AkAttributeCheck.Required & ~missing);

        RegistrationOutcome outcome = f.Service.Register(f.RegisterFor(tpm));

        Assert.Equal(EnrolmentRejectionReasons.AkAttributes, outcome.Rejection?.ReasonCode);
        Assert.Contains(missing.ToString(), outcome.Rejection!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_AK_that_can_decrypt_is_rejected()
    {
        using var f = new EnrolmentFixture();
        using SoftwareTpm tpm = SoftwareTpm.CreateEcc(akAttributes: AkAttributeCheck.Required | TpmaObject.Decrypt);

        RegistrationOutcome outcome = f.Service.Register(f.RegisterFor(tpm));

        Assert.Equal(EnrolmentRejectionReasons.AkAttributes, outcome.Rejection?.ReasonCode);
    }

    [Fact]
    public void An_EK_without_certificate_is_rejected_when_certificates_are_required()
    {
        using var f = new EnrolmentFixture();
        using SoftwareTpm tpm = SoftwareTpm.CreateRsa();

        RegistrationOutcome outcome = f.Service.Register(f.RegisterFor(tpm, withCertificate: false));

        Assert.Equal(EnrolmentRejectionReasons.EkCertificateMissing, outcome.Rejection?.ReasonCode);
    }

    [Fact]
    public void An_EK_certificate_from_an_untrusted_CA_is_rejected_unless_allow_listed_with_certificates_optional()
    {
        using SoftwareTpm tpm = SoftwareTpm.CreateRsa();
        using var rogue = TestPki.Create("Rogue");
        byte[] rogueCert = rogue.IssueEkCertificate(tpm.EkPublicKey);

        using (var strict = new EnrolmentFixture())
        {
            RegisterNode request = strict.RegisterFor(tpm) with { EkCertificate = rogueCert };
            Assert.Equal(EnrolmentRejectionReasons.EkCertificateUntrusted, strict.Service.Register(request).Rejection?.ReasonCode);
        }

        // Allow-listed but certificates still required: the allow-list does not apply.
        using (var required = new EnrolmentFixture(o => o.AllowedTpmHashes = [tpm.TpmHash]))
        {
            RegisterNode request = required.RegisterFor(tpm) with { EkCertificate = rogueCert };
            Assert.Equal(EnrolmentRejectionReasons.EkCertificateUntrusted, required.Service.Register(request).Rejection?.ReasonCode);
        }

        using var lax = new EnrolmentFixture(o =>
        {
            o.RequireEkCertificate = false;
            o.AllowedTpmHashes = [tpm.TpmHash];
        });
        ProofOutcome enrolled = lax.Enrol(tpm, lax.RegisterFor(tpm) with { EkCertificate = rogueCert });
        Assert.NotNull(enrolled.Enrolled);
        Assert.Equal(EkTrustMethods.AllowList, lax.Store.FindNode(tpm.TpmHash)!.EkTrust);
    }

    [Fact]
    public void With_certificates_optional_only_allow_listed_TPMs_enrol_without_one()
    {
        using SoftwareTpm listed = SoftwareTpm.CreateEcc();
        using SoftwareTpm unlisted = SoftwareTpm.CreateEcc();
        using var f = new EnrolmentFixture(o =>
        {
            o.RequireEkCertificate = false;
            o.AllowedTpmHashes = [listed.TpmHash.ToUpperInvariant()];
        });

        Assert.NotNull(f.Enrol(listed, f.RegisterFor(listed, withCertificate: false)).Enrolled);
        Assert.Equal(EnrolmentRejectionReasons.EkCertificateMissing,
            f.Service.Register(f.RegisterFor(unlisted, withCertificate: false)).Rejection?.ReasonCode);
    }

    [Fact]
    public void An_EK_certificate_for_another_key_is_rejected_even_when_allow_listed()
    {
        using SoftwareTpm tpm = SoftwareTpm.CreateRsa();
        using SoftwareTpm other = SoftwareTpm.CreateRsa();
        using var f = new EnrolmentFixture(o =>
        {
            o.RequireEkCertificate = false;
            o.AllowedTpmHashes = [tpm.TpmHash];
        });

        RegisterNode request = f.RegisterFor(tpm) with { EkCertificate = f.Pki.IssueEkCertificate(other.EkPublicKey) };

        Assert.Equal(EnrolmentRejectionReasons.EkCertificateKeyMismatch, f.Service.Register(request).Rejection?.ReasonCode);
    }

    [Fact]
    public void A_challenge_is_single_use()
    {
        using var f = new EnrolmentFixture();
        using SoftwareTpm tpm = SoftwareTpm.CreateEcc();
        CredentialChallenge challenge = f.Service.Register(f.RegisterFor(tpm)).Challenge!;
        byte[] secret = tpm.ActivateCredential(challenge.CredentialBlob, challenge.EncryptedSecret);
        byte[] proof = CredentialProofMac.Compute(secret, tpm.TpmHash, challenge.ChallengeId);

        Assert.NotNull(f.Service.Prove(new CredentialProof(challenge.ChallengeId, tpm.TpmHash, proof)).Enrolled);

        // The same (redelivered) proof is answered the same way, idempotently ...
        Assert.NotNull(f.Service.Prove(new CredentialProof(challenge.ChallengeId, tpm.TpmHash, proof)).Enrolled);

        // ... but any other proof for the used challenge is refused.
        byte[] other = (byte[])proof.Clone();
        other[0] ^= 1;
        Assert.Equal(EnrolmentRejectionReasons.ChallengeUnknown,
            f.Service.Prove(new CredentialProof(challenge.ChallengeId, tpm.TpmHash, other)).Rejection?.ReasonCode);
        Assert.Equal(1, f.Metrics.Enrolled);
    }

    [Fact]
    public void A_wrong_proof_burns_the_challenge()
    {
        using var f = new EnrolmentFixture();
        using SoftwareTpm tpm = SoftwareTpm.CreateEcc();
        CredentialChallenge challenge = f.Service.Register(f.RegisterFor(tpm)).Challenge!;
        byte[] secret = tpm.ActivateCredential(challenge.CredentialBlob, challenge.EncryptedSecret);
        byte[] good = CredentialProofMac.Compute(secret, tpm.TpmHash, challenge.ChallengeId);

        Assert.Equal(EnrolmentRejectionReasons.ProofInvalid,
            f.Service.Prove(new CredentialProof(challenge.ChallengeId, tpm.TpmHash, new byte[32])).Rejection?.ReasonCode);
        Assert.Equal(EnrolmentRejectionReasons.ChallengeUnknown,
            f.Service.Prove(new CredentialProof(challenge.ChallengeId, tpm.TpmHash, good)).Rejection?.ReasonCode);
        Assert.Null(f.Store.FindNode(tpm.TpmHash));
    }

    [Fact]
    public void A_challenge_expires()
    {
        using var f = new EnrolmentFixture(o => o.ChallengeLifetime = TimeSpan.FromSeconds(60));
        using SoftwareTpm tpm = SoftwareTpm.CreateEcc();
        CredentialChallenge challenge = f.Service.Register(f.RegisterFor(tpm)).Challenge!;
        Assert.Equal(f.Time.GetUtcNow() + TimeSpan.FromSeconds(60), challenge.ExpiresAt);
        byte[] secret = tpm.ActivateCredential(challenge.CredentialBlob, challenge.EncryptedSecret);

        f.Time.Advance(TimeSpan.FromSeconds(60));

        ProofOutcome outcome = f.Service.Prove(new CredentialProof(challenge.ChallengeId, tpm.TpmHash,
            CredentialProofMac.Compute(secret, tpm.TpmHash, challenge.ChallengeId)));
        Assert.Equal(EnrolmentRejectionReasons.ChallengeExpired, outcome.Rejection?.ReasonCode);
        Assert.Null(f.Store.FindNode(tpm.TpmHash));
    }

    [Fact]
    public void A_proof_for_a_challenge_issued_to_another_TPM_is_refused()
    {
        using var f = new EnrolmentFixture();
        using SoftwareTpm tpm = SoftwareTpm.CreateEcc();
        using SoftwareTpm other = SoftwareTpm.CreateEcc();
        CredentialChallenge challenge = f.Service.Register(f.RegisterFor(tpm)).Challenge!;
        byte[] secret = tpm.ActivateCredential(challenge.CredentialBlob, challenge.EncryptedSecret);

        ProofOutcome outcome = f.Service.Prove(new CredentialProof(challenge.ChallengeId, other.TpmHash,
            CredentialProofMac.Compute(secret, other.TpmHash, challenge.ChallengeId)));

        Assert.Equal(EnrolmentRejectionReasons.ChallengeUnknown, outcome.Rejection?.ReasonCode);
    }

    [Fact]
    public void An_AK_from_another_TPM_cannot_be_activated_and_is_not_enrolled()
    {
        using var f = new EnrolmentFixture();
        using SoftwareTpm tpm = SoftwareTpm.CreateEcc();
        using SoftwareTpm foreign = SoftwareTpm.CreateEcc();

        // The agent presents its EK with an AK that lives in another TPM.
        RegisterNode request = f.RegisterFor(tpm) with { AkPublic = foreign.Ak.ToArray() };
        CredentialChallenge challenge = f.Service.Register(request).Challenge!;

        // Its own TPM activates only for its own AK (the credential is bound to the foreign AK's Name) ...
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(
            () => tpm.ActivateCredential(challenge.CredentialBlob, challenge.EncryptedSecret));

        // ... and the foreign TPM lacks the EK, so whatever it sends is not the proof.
        ProofOutcome outcome = f.Service.Prove(new CredentialProof(challenge.ChallengeId, tpm.TpmHash,
            CredentialProofMac.Compute(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32), tpm.TpmHash, challenge.ChallengeId)));
        Assert.Equal(EnrolmentRejectionReasons.ProofInvalid, outcome.Rejection?.ReasonCode);
        Assert.Null(f.Store.FindNode(tpm.TpmHash));
    }

    [Fact]
    public void Registrations_are_rate_limited_per_TPM_hash()
    {
        using var f = new EnrolmentFixture(o => o.RegistrationsPerMinute = 3);
        using SoftwareTpm tpm = SoftwareTpm.CreateEcc();
        using SoftwareTpm other = SoftwareTpm.CreateEcc();

        for (int i = 0; i < 3; i++)
        {
            Assert.NotNull(f.Service.Register(f.RegisterFor(tpm)).Challenge);
        }

        Assert.Equal(EnrolmentRejectionReasons.RateLimited, f.Service.Register(f.RegisterFor(tpm)).Rejection?.ReasonCode);
        Assert.NotNull(f.Service.Register(f.RegisterFor(other)).Challenge);

        f.Time.Advance(TimeSpan.FromSeconds(61));
        Assert.NotNull(f.Service.Register(f.RegisterFor(tpm)).Challenge);
        Assert.Equal(1, f.Metrics.RejectedFor(EnrolmentRejectionReasons.RateLimited));
    }

    [Fact]
    public void A_redelivered_registration_gets_the_same_challenge_without_counting_against_the_limit()
    {
        using var f = new EnrolmentFixture(o => o.RegistrationsPerMinute = 1);
        using SoftwareTpm tpm = SoftwareTpm.CreateEcc();
        RegisterNode request = f.RegisterFor(tpm);

        CredentialChallenge first = f.Service.Register(request).Challenge!;
        CredentialChallenge again = f.Service.Register(request).Challenge!;

        Assert.Equal(first.ChallengeId, again.ChallengeId);
        Assert.Equal(first.CredentialBlob, again.CredentialBlob);
    }

    [Fact]
    public void Re_registration_with_a_different_AK_runs_activation_again_and_is_audited()
    {
        using var f = new EnrolmentFixture();
        using SoftwareTpm tpm = SoftwareTpm.CreateEcc();
        Assert.NotNull(f.Enrol(tpm).Enrolled);
        byte[] oldName = tpm.AkName;

        using SoftwareTpm sameEkNewAk = tpm.WithNewAk();
        CredentialChallenge challenge = f.Service.Register(f.RegisterFor(sameEkNewAk)).Challenge!;

        // Until the new AK is proven, the enrolled AK stays.
        Assert.Equal(oldName, f.Store.FindNode(tpm.TpmHash)!.AkName);
        byte[] secret = sameEkNewAk.ActivateCredential(challenge.CredentialBlob, challenge.EncryptedSecret);
        Assert.NotNull(f.Service.Prove(new CredentialProof(challenge.ChallengeId, tpm.TpmHash,
            CredentialProofMac.Compute(secret, tpm.TpmHash, challenge.ChallengeId))).Enrolled);

        Assert.Equal(sameEkNewAk.AkName, f.Store.FindNode(tpm.TpmHash)!.AkName);
        IReadOnlyList<AuditEntry> audit = f.Store.AuditOf(tpm.TpmHash);
        AuditEntry changed = Assert.Single(audit, a => a.Event == AuditEvents.AkChanged);
        Assert.Equal(Convert.ToHexStringLower(oldName), changed.OldAkName);
        Assert.Equal(Convert.ToHexStringLower(sameEkNewAk.AkName), changed.NewAkName);
        Assert.Single(audit, a => a.Event == AuditEvents.AkChangeRequested);
    }

    [Fact]
    public void Structurally_invalid_messages_throw_a_validation_exception()
    {
        using var f = new EnrolmentFixture();
        using SoftwareTpm tpm = SoftwareTpm.CreateEcc();
        RegisterNode good = f.RegisterFor(tpm);

        Assert.Throws<MessageValidationException>(() => f.Service.Register(good with { EkPublic = null! }));
        Assert.Throws<MessageValidationException>(() => f.Service.Register(good with { EkPublic = good.EkPublic[..^1] }));
        Assert.Throws<MessageValidationException>(() => f.Service.Register(good with { AkPublic = [1, 2, 3] }));
        Assert.Throws<MessageValidationException>(() => f.Service.Register(good with { TpmHash = null! }));
        Assert.Throws<MessageValidationException>(() => f.Service.Register(good with { RegistrationId = Guid.Empty }));
        Assert.Throws<MessageValidationException>(() => f.Service.Prove(new CredentialProof(Guid.NewGuid(), tpm.TpmHash, new byte[31])));
        Assert.Throws<MessageValidationException>(() => f.Service.Prove(new CredentialProof(Guid.NewGuid(), tpm.TpmHash, null!)));
    }
}
