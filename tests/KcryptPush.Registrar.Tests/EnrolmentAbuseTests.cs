using System.Security.Cryptography;
using System.Text.Json;
using KcryptPush.Contracts.V1;
using KcryptPush.Messaging;
using KcryptPush.Registrar.Cli;
using KcryptPush.Registrar.Enrolment;
using KcryptPush.Registrar.Store;
using KcryptPush.Registrar.Tests.Support;
using KcryptPush.Tpm.Types;
using Microsoft.Extensions.Logging;

namespace KcryptPush.Registrar.Tests;

/// <summary>
/// What an attacker who holds an agent's broker login (so may send RegisterNode and
/// CredentialProof) and knows a node's public EK and EK certificate can do to the registrar: not
/// change the enrolled record, not lock the node out of re-enrolment, not grow registrar.db by
/// flooding rejected requests.
/// </summary>
[Trait("Category", "Unit")]
public sealed class EnrolmentAbuseTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_registration_with_an_enrolled_nodes_EK_changes_nothing_of_its_record_and_its_challenge_cannot_be_answered(bool anotherAk)
    {
        using var f = new EnrolmentFixture();
        using SoftwareTpm node = SoftwareTpm.CreateRsa();
        Assert.NotNull(f.Enrol(node).Enrolled);
        NodeRecord before = f.Store.FindNode(node.TpmHash)!;
        f.Time.Advance(TimeSpan.FromSeconds(5));

        // The node's EK and a certificate for it (both public), the attacker's AK (or the node's own) and host name.
        using SoftwareTpm attacker = SoftwareTpm.CreateRsa();
        RegisterNode forged = f.RegisterFor(node) with
        {
            AkPublic = anotherAk ? attacker.Ak.ToArray() : node.Ak.ToArray(),
            Hostname = "defaced",
        };
        Assert.NotEqual(before.EkCertificate, forged.EkCertificate);

        // The registrar cannot tell this from the node re-registering: it answers with a challenge ...
        CredentialChallenge challenge = Assert.IsType<CredentialChallenge>(f.Service.Register(forged).Challenge);
        AssertUnchanged(before, f.Store.FindNode(node.TpmHash));

        // ... that only the TPM holding the EK can open, so the attacker has no proof to send.
        Assert.ThrowsAny<CryptographicException>(() =>
            attacker.ActivateCredential(challenge.CredentialBlob, challenge.EncryptedSecret, Tpm.Structures.TpmtPublic.Parse(forged.AkPublic).ComputeName()));
        ProofOutcome guessed = f.Service.Prove(new CredentialProof(challenge.ChallengeId, node.TpmHash,
            CredentialProofMac.Compute(RandomNumberGenerator.GetBytes(32), node.TpmHash, challenge.ChallengeId)));
        Assert.Equal(EnrolmentRejectionReasons.ProofInvalid, guessed.Rejection?.ReasonCode);
        AssertUnchanged(before, f.Store.FindNode(node.TpmHash));

        // Nor does a challenge left to expire change anything.
        CredentialChallenge second = f.Service.Register(forged with { RegistrationId = Guid.NewGuid() }).Challenge!;
        f.Time.Advance(f.Options.ChallengeLifetime);
        Assert.Equal(EnrolmentRejectionReasons.ChallengeExpired, f.Service.Prove(new CredentialProof(second.ChallengeId, node.TpmHash, new byte[32])).Rejection?.ReasonCode);
        AssertUnchanged(before, f.Store.FindNode(node.TpmHash));
        Assert.Equal(1, f.Metrics.Enrolled);
    }

    [Fact]
    public void Only_the_valid_proof_of_the_TPM_holding_the_EK_changes_an_enrolled_record()
    {
        using var f = new EnrolmentFixture();
        using SoftwareTpm node = SoftwareTpm.CreateEcc();
        Assert.NotNull(f.Enrol(node).Enrolled);
        NodeRecord before = f.Store.FindNode(node.TpmHash)!;
        f.Time.Advance(TimeSpan.FromSeconds(5));

        // The node itself, with a new AK, a new host name and a new copy of its certificate.
        using SoftwareTpm renewed = node.WithNewAk();
        RegisterNode request = f.RegisterFor(renewed) with { Hostname = "renamed" };
        CredentialChallenge challenge = f.Service.Register(request).Challenge!;
        AssertUnchanged(before, f.Store.FindNode(node.TpmHash));

        byte[] secret = renewed.ActivateCredential(challenge.CredentialBlob, challenge.EncryptedSecret);
        Assert.NotNull(f.Service.Prove(new CredentialProof(challenge.ChallengeId, node.TpmHash,
            CredentialProofMac.Compute(secret, node.TpmHash, challenge.ChallengeId))).Enrolled);

        NodeRecord after = f.Store.FindNode(node.TpmHash)!;
        Assert.Equal(NodeState.Enrolled, after.State);
        Assert.Equal("renamed", after.Hostname);
        Assert.Equal(request.EkCertificate, after.EkCertificate);
        Assert.Equal(renewed.AkName, after.AkName);
        Assert.Equal(request.AkPublic, after.AkPublic);
        Assert.Equal(before.CreatedAt, after.CreatedAt);
        Assert.True(after.UpdatedAt > before.UpdatedAt);
    }

    [Fact]
    public void A_registration_writes_no_node_record_the_pending_enrolment_lives_in_its_challenge()
    {
        using var f = new EnrolmentFixture();
        using SoftwareTpm node = SoftwareTpm.CreateEcc();
        RegisterNode request = f.RegisterFor(node);

        CredentialChallenge challenge = f.Service.Register(request).Challenge!;

        Assert.Null(f.Store.FindNode(node.TpmHash));
        Assert.Empty(f.Store.ListNodes());
        ChallengeRecord pending = Assert.IsType<ChallengeRecord>(f.Store.FindChallenge(challenge.ChallengeId));
        Assert.Equal((node.TpmHash, request.Hostname), (pending.TpmHash, pending.Hostname));
        Assert.Equal(node.AkName, pending.AkName);
        Assert.Equal(request.EkCertificate, pending.EkCertificate);

        byte[] secret = node.ActivateCredential(challenge.CredentialBlob, challenge.EncryptedSecret);
        Assert.NotNull(f.Service.Prove(new CredentialProof(challenge.ChallengeId, node.TpmHash,
            CredentialProofMac.Compute(secret, node.TpmHash, challenge.ChallengeId))).Enrolled);
        NodeRecord enrolled = f.Store.FindNode(node.TpmHash)!;
        Assert.Equal((NodeState.Enrolled, request.Hostname), (enrolled.State, enrolled.Hostname));
        Assert.Equal(f.Time.GetUtcNow().UtcDateTime, enrolled.CreatedAt.ToUniversalTime(), TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public void Nodes_list_and_show_give_a_registered_but_unproven_node_as_pending_from_its_challenge()
    {
        using var f = new EnrolmentFixture();
        using SoftwareTpm enrolled = SoftwareTpm.CreateEcc();
        using SoftwareTpm pending = SoftwareTpm.CreateEcc();
        Assert.NotNull(f.Enrol(enrolled).Enrolled);
        Assert.NotNull(f.Service.Register(f.RegisterFor(pending) with { Hostname = "waiting" }).Challenge);

        var stdout = new StringWriter();
        var stderr = new StringWriter();
        f.WhileStopped(() => Assert.Equal(0, RegistrarCli.Invoke(["nodes", "list", "--json", "--db", f.Options.Db], stdout, stderr)));
        using (JsonDocument list = JsonDocument.Parse(stdout.ToString()))
        {
            JsonElement[] rows = list.RootElement.EnumerateArray().ToArray();
            Assert.Equal(2, rows.Length);
            JsonElement p = Assert.Single(rows, r => r.GetProperty("tpmHash").GetString() == pending.TpmHash);
            Assert.Equal(("pending", "waiting", string.Empty), (p.GetProperty("state").GetString(), p.GetProperty("hostname").GetString(), p.GetProperty("akName").GetString()));
            Assert.Equal("enrolled", Assert.Single(rows, r => r.GetProperty("tpmHash").GetString() == enrolled.TpmHash).GetProperty("state").GetString());
        }

        stdout.GetStringBuilder().Clear();
        f.WhileStopped(() => Assert.Equal(0, RegistrarCli.Invoke(["nodes", "show", pending.TpmHash, "--json", "--db", f.Options.Db], stdout, stderr)));
        using JsonDocument show = JsonDocument.Parse(stdout.ToString());
        Assert.Equal("pending", show.RootElement.GetProperty("state").GetString());
        Assert.Contains(show.RootElement.GetProperty("audit").EnumerateArray(), a => a.GetProperty("event").GetString() == AuditEvents.ChallengeIssued);
        Assert.Null(f.Store.FindNode(pending.TpmHash));
    }

    [Fact]
    public void Registrations_that_never_complete_do_not_spend_an_enrolled_nodes_quota_completed_enrolments_do()
    {
        using var f = new EnrolmentFixture(o => o.RegistrationsPerMinute = 3);
        using SoftwareTpm node = SoftwareTpm.CreateEcc();
        Assert.NotNull(f.Enrol(node).Enrolled);

        // 50 registrations with the node's EK that nobody can answer ...
        for (int i = 0; i < 50; i++)
        {
            f.Service.Register(f.RegisterFor(node) with { AkPublic = SoftwareTpm.MakeAk().ToArray(), Hostname = "flood" });
        }

        // ... and the node still re-enrols at once, twice (its first enrolment and these make three).
        using SoftwareTpm renewed = node.WithNewAk();
        Assert.NotNull(f.Enrol(renewed).Enrolled);
        Assert.NotNull(f.Enrol(node).Enrolled);
        Assert.Equal(node.AkName, f.Store.FindNode(node.TpmHash)!.AkName);

        // What the quota counts is completed enrolments: a fourth within the minute is refused ...
        Assert.Equal(EnrolmentRejectionReasons.RateLimited, f.Service.Register(f.RegisterFor(node)).Rejection?.ReasonCode);

        // ... until the window has passed.
        f.Time.Advance(TimeSpan.FromSeconds(61));
        Assert.NotNull(f.Enrol(renewed).Enrolled);
        Assert.Equal(renewed.AkName, f.Store.FindNode(node.TpmHash)!.AkName);
    }

    [Fact]
    public void After_a_restart_enrolled_nodes_are_still_known_and_a_redelivered_registration_gets_its_challenge()
    {
        using var f = new EnrolmentFixture(o => o.RegistrationsPerMinute = 1);
        using SoftwareTpm node = SoftwareTpm.CreateEcc();
        using SoftwareTpm newcomer = SoftwareTpm.CreateEcc();
        Assert.NotNull(f.Enrol(node).Enrolled);
        RegisterNode pending = f.RegisterFor(newcomer);
        CredentialChallenge issued = f.Service.Register(pending).Challenge!;

        f.Restart();

        // The redelivery is answered with the same challenge, spending nothing ...
        Assert.Equal(issued.ChallengeId, f.Service.Register(pending).Challenge?.ChallengeId);
        Assert.Equal(issued.ChallengeId, f.Service.Register(pending).Challenge?.ChallengeId);

        // ... and the enrolled node is still enrolled: unanswered registrations spend nothing of its quota.
        for (int i = 0; i < 5; i++)
        {
            Assert.NotNull(f.Service.Register(f.RegisterFor(node) with { AkPublic = SoftwareTpm.MakeAk().ToArray() }).Challenge);
        }

        Assert.NotNull(f.Enrol(node).Enrolled);
        Assert.Equal(EnrolmentRejectionReasons.RateLimited, f.Service.Register(f.RegisterFor(node)).Rejection?.ReasonCode);

        // A used challenge is not handed out again.
        byte[] secret = newcomer.ActivateCredential(issued.CredentialBlob, issued.EncryptedSecret);
        Assert.NotNull(f.Service.Prove(new CredentialProof(issued.ChallengeId, newcomer.TpmHash, CredentialProofMac.Compute(secret, newcomer.TpmHash, issued.ChallengeId))).Enrolled);
        f.Time.Advance(TimeSpan.FromSeconds(61));
        Assert.NotEqual(issued.ChallengeId, f.Service.Register(pending).Challenge?.ChallengeId);
    }

    [Fact]
    public void The_per_hash_quota_is_spent_only_by_registrations_that_pass_the_cheap_checks()
    {
        using var f = new EnrolmentFixture(o => o.RegistrationsPerMinute = 3);
        using SoftwareTpm node = SoftwareTpm.CreateEcc();
        using SoftwareTpm other = SoftwareTpm.CreateEcc();
        byte[] decryptingAk = SoftwareTpm.MakeAk(AkAttributeCheck.Required | TpmaObject.Decrypt).ToArray();
        RegisterNode badAk = f.RegisterFor(node) with { AkPublic = decryptingAk };
        RegisterNode noCertificate = f.RegisterFor(node, withCertificate: false);
        RegisterNode wrongHash = f.RegisterFor(other, claimedHash: node.TpmHash);

        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(EnrolmentRejectionReasons.AkAttributes, f.Service.Register(badAk with { RegistrationId = Guid.NewGuid() }).Rejection?.ReasonCode);
            Assert.Equal(EnrolmentRejectionReasons.EkCertificateMissing, f.Service.Register(noCertificate with { RegistrationId = Guid.NewGuid() }).Rejection?.ReasonCode);
            Assert.Equal(EnrolmentRejectionReasons.TpmHashMismatch, f.Service.Register(wrongHash with { RegistrationId = Guid.NewGuid() }).Rejection?.ReasonCode);
        }

        Assert.Equal(0, f.Metrics.RejectedFor(EnrolmentRejectionReasons.RateLimited));
        Assert.NotNull(f.Enrol(node).Enrolled);
    }

    [Fact]
    public void A_global_limit_refuses_registrations_across_TPM_hashes_before_the_certificate_check_and_MakeCredential()
    {
        using var f = new EnrolmentFixture(o => o.GlobalRegistrationsPerMinute = 5);
        using var rogue = TestPki.Create("Rogue");
        SoftwareTpm[] tpms = Enumerable.Range(0, 7).Select(_ => SoftwareTpm.CreateEcc()).ToArray();
        try
        {
            RegisterNode[] first = tpms[..5].Select(t => f.RegisterFor(t)).ToArray();
            foreach (RegisterNode r in first)
            {
                Assert.NotNull(f.Service.Register(r).Challenge);
            }

            // Five attempts in the minute: a sixth TPM, trusted or not, is refused as rate-limited, not
            // as ek-certificate-untrusted (the chain was not checked) and with no challenge made.
            Assert.Equal(EnrolmentRejectionReasons.RateLimited, f.Service.Register(f.RegisterFor(tpms[5])).Rejection?.ReasonCode);
            RegisterNode untrusted = f.RegisterFor(tpms[6]) with { EkCertificate = rogue.IssueEkCertificate(tpms[6].EkPublicKey) };
            Assert.Equal(EnrolmentRejectionReasons.RateLimited, f.Service.Register(untrusted).Rejection?.ReasonCode);
            Assert.Equal(5, DbRows.In(f.Options.Db, "challenges"));
            Assert.Equal(2, f.Metrics.RejectedFor(EnrolmentRejectionReasons.RateLimited));

            // A redelivered registration still gets its challenge, and cheap refusals keep their own reason.
            Assert.NotNull(f.Service.Register(first[0]).Challenge);
            Assert.Equal(EnrolmentRejectionReasons.TpmHashMismatch,
                f.Service.Register(f.RegisterFor(tpms[5], claimedHash: tpms[6].TpmHash)).Rejection?.ReasonCode);

            f.Time.Advance(TimeSpan.FromSeconds(61));
            Assert.NotNull(f.Service.Register(f.RegisterFor(tpms[5])).Challenge);
            Assert.Equal(EnrolmentRejectionReasons.EkCertificateUntrusted, f.Service.Register(untrusted with { RegistrationId = Guid.NewGuid() }).Rejection?.ReasonCode);
        }
        finally
        {
            foreach (SoftwareTpm t in tpms)
            {
                t.Dispose();
            }
        }
    }

    [Fact]
    public void A_flood_of_rejected_requests_is_counted_per_reason_and_logged_in_summary_not_written_row_by_row()
    {
        const int Flood = 10_000;
        var log = new ListLogger<EnrolmentService>();
        using var f = new EnrolmentFixture(o => o.GlobalRegistrationsPerMinute = 50, log: log);
        using var rogue = TestPki.Create("Rogue");
        using SoftwareTpm node = SoftwareTpm.CreateEcc();
        Assert.NotNull(f.Enrol(node).Enrolled);
        NodeRecord before = f.Store.FindNode(node.TpmHash)!;
        int rowsBefore = DbRows.Total(f.Options.Db);

        SoftwareTpm[] strangers = Enumerable.Range(0, 100).Select(_ => SoftwareTpm.CreateEcc()).ToArray();
        try
        {
            RegisterNode[] untrusted = strangers.Select(s => f.RegisterFor(s) with { EkCertificate = rogue.IssueEkCertificate(s.EkPublicKey) }).ToArray();
            RegisterNode wrongHash = f.RegisterFor(node, claimedHash: strangers[0].TpmHash);
            RegisterNode badAk = f.RegisterFor(node) with { AkPublic = SoftwareTpm.MakeAk(AkAttributeCheck.Required | TpmaObject.Decrypt).ToArray() };
            RegisterNode forged = f.RegisterFor(node) with { AkPublic = strangers[1].Ak.ToArray(), Hostname = "defaced" };

            var answers = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < Flood; i++)
            {
                RegisterNode r = (i % 4) switch
                {
                    0 => wrongHash,
                    1 => badAk,
                    2 => untrusted[i % untrusted.Length],
                    _ => forged,
                };
                RegistrationOutcome o = f.Service.Register(r with { RegistrationId = Guid.NewGuid() });
                string key = o.Rejection?.ReasonCode ?? "challenge";
                answers[key] = answers.GetValueOrDefault(key) + 1;
            }

            for (int i = 0; i < 2_000; i++)
            {
                Assert.Equal(EnrolmentRejectionReasons.ChallengeUnknown,
                    f.Service.Prove(new CredentialProof(Guid.NewGuid(), node.TpmHash, new byte[32])).Rejection?.ReasonCode);
            }

            f.Service.ReportRejections();

            // The file grew by what the global limit lets through (50 challenges and their audit
            // entries) and one counter per reason, not by a row per rejected request.
            IReadOnlyDictionary<string, int> rows = DbRows.PerCollection(f.Options.Db);
            int grown = rows.Values.Sum() - rowsBefore;
            Assert.True(grown <= (3 * 50) + 10, $"registrar.db grew by {grown} documents: {string.Join(", ", rows.Select(r => $"{r.Key}={r.Value}"))}");
            Assert.Equal(Flood / 4, answers[EnrolmentRejectionReasons.TpmHashMismatch]);
            Assert.Equal(Flood / 4, answers[EnrolmentRejectionReasons.AkAttributes]);
            // The node's own enrolment took one of the 50 attempts of the minute.
            Assert.Equal(49, answers.GetValueOrDefault("challenge") + answers.GetValueOrDefault(EnrolmentRejectionReasons.EkCertificateUntrusted));
            Assert.Equal((Flood / 2) - 49, answers[EnrolmentRejectionReasons.RateLimited]);

            // Each reason is counted, in memory and in the file (where a restart finds it).
            using (var snapshot = new DbSnapshot(f.Options.Db))
            using (var reader = new LiteDbRegistrarStore(snapshot.DataFile, readOnly: true))
            {
                Dictionary<string, long> counted = reader.RejectionCounts().ToDictionary(c => c.ReasonCode, c => c.Count, StringComparer.Ordinal);
                foreach ((string reason, int n) in answers.Where(a => a.Key != "challenge"))
                {
                    Assert.Equal(n, counted.GetValueOrDefault(reason));
                    Assert.Equal(n, f.Metrics.RejectedFor(reason));
                }

                Assert.Equal(2_000, counted.GetValueOrDefault(EnrolmentRejectionReasons.ChallengeUnknown));
            }

            // The log has a few rejections line by line and then one summary, not 12,000 lines.
            int warnings = log.Entries.Count(e => e.Level >= LogLevel.Warning);
            Assert.True(warnings <= 30, $"{warnings} warnings logged");
            string summary = Assert.Single(log.Entries, e => e.Message.Contains($"{EnrolmentRejectionReasons.TpmHashMismatch}={Flood / 4}", StringComparison.Ordinal)).Message;
            Assert.Contains($"{EnrolmentRejectionReasons.ChallengeUnknown}=2000", summary, StringComparison.Ordinal);

            // A second report adds only what came since.
            f.Service.Register(wrongHash with { RegistrationId = Guid.NewGuid() });
            f.Service.ReportRejections();
            Assert.Equal(Flood / 4 + 1, f.Store.RejectionCounts().Single(c => c.ReasonCode == EnrolmentRejectionReasons.TpmHashMismatch).Count);
            Assert.True(DbRows.Total(f.Options.Db) - rowsBefore <= (3 * 50) + 10);

            // And the enrolled record is as it was.
            AssertUnchanged(before, f.Store.FindNode(node.TpmHash));
        }
        finally
        {
            foreach (SoftwareTpm s in strangers)
            {
                s.Dispose();
            }
        }
    }

    private static void AssertUnchanged(NodeRecord expected, NodeRecord? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.State, actual!.State);
        Assert.Equal(expected.Hostname, actual.Hostname);
        Assert.Equal(expected.EkPublic, actual.EkPublic);
        Assert.Equal(expected.EkCertificate, actual.EkCertificate);
        Assert.Equal(expected.EkTrust, actual.EkTrust);
        Assert.Equal(expected.AkPublic, actual.AkPublic);
        Assert.Equal(expected.AkName, actual.AkName);
        Assert.Equal(expected.CreatedAt, actual.CreatedAt);
        Assert.Equal(expected.UpdatedAt, actual.UpdatedAt);
        Assert.Equal(expected.EnrolledAt, actual.EnrolledAt);
    }
}
