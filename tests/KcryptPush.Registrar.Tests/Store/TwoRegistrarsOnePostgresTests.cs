using KcryptPush.Contracts.V1;
using KcryptPush.Messaging;
using KcryptPush.Registrar.Enrolment;
using KcryptPush.Registrar.Store;
using KcryptPush.Registrar.Tests.Support;

namespace KcryptPush.Registrar.Tests.Store;

/// <summary>
/// Two registrars (two EnrolmentServices, each with its own store instance) on one PostgreSQL database:
/// a challenge issued by one is proven on the other, and one credential proof delivered to both at the
/// same moment (a replay, or a redelivery racing the original) enrols the node once.
/// </summary>
[Trait("Category", "Integration")]
public sealed class TwoRegistrarsOnePostgresTests(PrivatePostgres pg) : IClassFixture<PrivatePostgres>
{
    [PostgresFact]
    public void One_credential_proof_sent_to_two_registrars_at_once_enrols_the_node_once()
    {
        string db = pg.CreateDatabase();
        using var a = new EnrolmentFixture(store: new PostgresRegistrarStore(db));
        using var b = new EnrolmentFixture(trusted: a.Pki, store: new PostgresRegistrarStore(db));
        const int Nodes = 8;
        for (int n = 0; n < Nodes; n++)
        {
            using SoftwareTpm tpm = n % 2 == 0 ? SoftwareTpm.CreateEcc() : SoftwareTpm.CreateRsa();
            CredentialChallenge challenge = (n % 2 == 0 ? a : b).Service.Register(a.RegisterFor(tpm)).Challenge!;
            byte[] secret = tpm.ActivateCredential(challenge.CredentialBlob, challenge.EncryptedSecret);
            var proof = new CredentialProof(challenge.ChallengeId, tpm.TpmHash, CredentialProofMac.Compute(secret, tpm.TpmHash, challenge.ChallengeId));

            using var start = new Barrier(2);
            Task<ProofOutcome>[] both = [.. new[] { a, b }.Select(f => Task.Factory.StartNew(() =>
            {
                start.SignalAndWait();
                return f.Service.Prove(proof);
            }, TaskCreationOptions.LongRunning))];
            Assert.True(Task.WaitAll(both, TimeSpan.FromMinutes(1)));

            // Both answer NodeEnrolled, the same one (the second from the stored result, as for a
            // redelivery); the node was enrolled once.
            NodeEnrolled first = both[0].Result.Enrolled ?? throw new InvalidOperationException($"a: {both[0].Result.Rejection}");
            NodeEnrolled second = both[1].Result.Enrolled ?? throw new InvalidOperationException($"b: {both[1].Result.Rejection}");
            Assert.Equal((first.TpmHash, first.EnrolledAt), (second.TpmHash, second.EnrolledAt));
            Assert.Equal(tpm.AkName, first.AkName);
            Assert.Single(a.Store.AuditOf(tpm.TpmHash), e => e.Event == AuditEvents.Enrolled);
            Assert.Equal(NodeState.Enrolled, b.Store.FindNode(tpm.TpmHash)!.State);

            // Any other proof for the used challenge is refused by either.
            var forged = proof with { Proof = new byte[CredentialProofMac.Length] };
            Assert.Equal(EnrolmentRejectionReasons.ChallengeUnknown, b.Service.Prove(forged).Rejection?.ReasonCode);
            Assert.Equal(EnrolmentRejectionReasons.ChallengeUnknown, a.Service.Prove(forged).Rejection?.ReasonCode);
        }

        Assert.Equal(Nodes, a.Metrics.Enrolled + b.Metrics.Enrolled);
        Assert.Equal(Nodes, a.Store.ListEnrolledTpmHashes().Count);
    }

    [PostgresFact]
    public void A_wrong_proof_and_the_right_one_racing_on_two_registrars_burn_or_enrol_but_never_both()
    {
        // Whichever commits first decides: the right proof enrols, or the wrong one burns the
        // challenge (the agent registers again). Never an enrolment after a burn, nor a burn after it.
        string db = pg.CreateDatabase();
        using var a = new EnrolmentFixture(store: new PostgresRegistrarStore(db));
        using var b = new EnrolmentFixture(trusted: a.Pki, store: new PostgresRegistrarStore(db));
        for (int n = 0; n < 6; n++)
        {
            using SoftwareTpm tpm = SoftwareTpm.CreateEcc();
            CredentialChallenge challenge = a.Service.Register(a.RegisterFor(tpm)).Challenge!;
            byte[] secret = tpm.ActivateCredential(challenge.CredentialBlob, challenge.EncryptedSecret);
            var right = new CredentialProof(challenge.ChallengeId, tpm.TpmHash, CredentialProofMac.Compute(secret, tpm.TpmHash, challenge.ChallengeId));
            var wrong = right with { Proof = new byte[CredentialProofMac.Length] };

            using var start = new Barrier(2);
            Task<ProofOutcome> good = Task.Factory.StartNew(() => { start.SignalAndWait(); return a.Service.Prove(right); }, TaskCreationOptions.LongRunning);
            Task<ProofOutcome> bad = Task.Factory.StartNew(() => { start.SignalAndWait(); return b.Service.Prove(wrong); }, TaskCreationOptions.LongRunning);
            Assert.True(Task.WaitAll([good, bad], TimeSpan.FromMinutes(1)));

            Assert.NotNull(bad.Result.Rejection);
            bool enrolled = good.Result.Enrolled is not null;
            IReadOnlyList<AuditEntry> audit = a.Store.AuditOf(tpm.TpmHash);
            Assert.Equal(enrolled ? 1 : 0, audit.Count(e => e.Event == AuditEvents.Enrolled));
            Assert.Equal(enrolled ? 0 : 1, audit.Count(e => e.Event == AuditEvents.Rejected && e.ReasonCode == EnrolmentRejectionReasons.ProofInvalid));
            Assert.Equal(enrolled, a.Store.FindNode(tpm.TpmHash) is not null);
            Assert.Equal(enrolled ? EnrolmentRejectionReasons.ChallengeUnknown : EnrolmentRejectionReasons.ProofInvalid, bad.Result.Rejection!.ReasonCode);
        }
    }
}
