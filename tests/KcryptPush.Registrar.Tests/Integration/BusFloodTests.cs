using System.Security.Cryptography;
using System.Text.Json;
using KcryptPush.Contracts.V1;
using KcryptPush.Messaging;
using KcryptPush.Registrar.Cli;
using KcryptPush.Registrar.Enrolment;
using KcryptPush.Registrar.Hosting;
using KcryptPush.Registrar.Store;
using KcryptPush.Registrar.Tests.Support;
using KcryptPush.Tpm.Types;
using MassTransit;
using Microsoft.Extensions.Hosting;

namespace KcryptPush.Registrar.Tests.Integration;

/// <summary>
/// The registrar service against a real RabbitMQ, flooded by a sender that holds an agent's broker
/// login and knows an enrolled node's EK and EK certificate.
/// </summary>
[Trait("Category", "Integration")]
public sealed class BusFloodTests(RabbitMqFixture broker) : IClassFixture<RabbitMqFixture>, IAsyncLifetime
{
    private const int GlobalLimit = 100;
    private readonly string _dir = Directory.CreateTempSubdirectory("kcp-flood-").FullName;
    private readonly TestPki _pki = TestPki.Create();
    private IHost? _registrar;

    private string Db => Path.Combine(_dir, "registrar.db");

    public async Task InitializeAsync()
    {
        _pki.WriteCaDirectory(Path.Combine(_dir, "ek-ca"));
        _registrar = RegistrarHost.Build(
            new Dictionary<string, string?>
            {
                ["Broker:Uri"] = broker.Uri,
                ["Http:Listen"] = "127.0.0.1:0", // test classes run in parallel: no fixed port
                ["Registrar:Db"] = Db,
                ["Registrar:EkCaDir"] = Path.Combine(_dir, "ek-ca"),
                ["Registrar:RegistrationsPerMinute"] = "3",
                ["Registrar:GlobalRegistrationsPerMinute"] = GlobalLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
            environment: new Dictionary<string, string?>());
        await _registrar.StartAsync().ConfigureAwait(false);
    }

    public async Task DisposeAsync()
    {
        if (_registrar is not null)
        {
            await _registrar.StopAsync().ConfigureAwait(false);
            _registrar.Dispose();
        }

        _pki.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task A_flood_with_an_agent_login_neither_changes_nor_locks_out_an_enrolled_node_and_adds_no_row_per_rejection()
    {
        await using TestAgentBus agent = await TestAgentBus.StartAsync(broker.Uri, "kcrypt-push-test-verifier-" + Guid.NewGuid().ToString("N")[..8]);
        using SoftwareTpm node = SoftwareTpm.CreateRsa();
        using SoftwareTpm stranger = SoftwareTpm.CreateRsa();
        NodeEnrolled first = await EnrolAsync(agent, node, "node-a");
        Assert.Equal(node.AkName, first.AkName);
        JsonElement before = Show(node.TpmHash);
        int rowsBefore = DbRows.Total(Db);

        // The node's EK and a certificate for it are public; the AKs and host name are the sender's.
        RegisterNode wrongHash = Register(node, "flood") with { TpmHash = stranger.TpmHash };
        RegisterNode badAk = Register(node, "flood") with { AkPublic = SoftwareTpm.MakeAk(AkAttributeCheck.Required | TpmaObject.Decrypt).ToArray() };
        RegisterNode forged = Register(node, "defaced") with { AkPublic = stranger.Ak.ToArray() };
        var requests = new List<object>();
        for (int i = 0; i < 2_000; i++)
        {
            requests.Add(wrongHash with { RegistrationId = Guid.NewGuid() });
            requests.Add(badAk with { RegistrationId = Guid.NewGuid() });
            if (i % 2 == 0)
            {
                requests.Add(new CredentialProof(Guid.NewGuid(), node.TpmHash, RandomNumberGenerator.GetBytes(32)));
            }

            if (i % 50 == 0)
            {
                requests.Add(forged with { RegistrationId = Guid.NewGuid() });
            }
        }

        var answers = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (object[] batch in requests.Chunk(250))
        {
            foreach (string answer in await Task.WhenAll(batch.Select(r => SendAsync(agent, r))))
            {
                answers[answer] = answers.GetValueOrDefault(answer) + 1;
            }
        }

        Assert.Equal(2_000, answers[EnrolmentRejectionReasons.TpmHashMismatch]);
        Assert.Equal(2_000, answers[EnrolmentRejectionReasons.AkAttributes]);
        Assert.Equal(1_000, answers[EnrolmentRejectionReasons.ChallengeUnknown]);
        Assert.Equal(40, answers["challenge"]);
        Assert.False(answers.ContainsKey(EnrolmentRejectionReasons.RateLimited));

        // The enrolled record is as it was.
        JsonElement during = Show(node.TpmHash);
        foreach (string field in new[] { "hostname", "state", "ekCertificate", "akPublic", "akName", "updatedAt", "enrolledAt" })
        {
            Assert.Equal(before.GetProperty(field).ToString(), during.GetProperty(field).ToString());
        }

        // The node re-enrols at once, with a new AK and host name, and that changes the record.
        using SoftwareTpm renewed = node.WithNewAk();
        NodeEnrolled again = await EnrolAsync(agent, renewed, "node-a2");
        Assert.Equal(renewed.AkName, again.AkName);
        JsonElement after = Show(node.TpmHash);
        Assert.Equal(("node-a2", Convert.ToHexStringLower(renewed.AkName)), (after.GetProperty("hostname").GetString(), after.GetProperty("akName").GetString()));

        // Stopping the service stores the counters; the file holds the challenges the global limit let
        // through with their audit entries and one counter per reason, not a row per rejection.
        await _registrar!.StopAsync();
        IReadOnlyDictionary<string, int> rows = DbRows.PerCollection(Db);
        int grown = rows.Values.Sum() - rowsBefore;
        // 40 forged challenges with their challenge-issued and ak-change-requested entries, the
        // re-enrolment's challenge and four entries, three counters.
        Assert.True(grown <= (3 * 40) + 5 + 3, $"registrar.db grew by {grown} documents: {string.Join(", ", rows.Select(r => $"{r.Key}={r.Value}"))}");
        using var snapshot = new DbSnapshot(Db);
        using var store = new LiteDbRegistrarStore(snapshot.DataFile, readOnly: true);
        Dictionary<string, long> counted = store.RejectionCounts().ToDictionary(c => c.ReasonCode, c => c.Count, StringComparer.Ordinal);
        Assert.Equal(2_000, counted[EnrolmentRejectionReasons.TpmHashMismatch]);
        Assert.Equal(2_000, counted[EnrolmentRejectionReasons.AkAttributes]);
        Assert.Equal(1_000, counted[EnrolmentRejectionReasons.ChallengeUnknown]);
        Assert.Equal(3, counted.Count);
    }

    private RegisterNode Register(SoftwareTpm tpm, string hostname) =>
        new(tpm.TpmHash, tpm.Ek.ToArray(), _pki.IssueEkCertificate(tpm.EkPublicKey), tpm.Ak.ToArray(), hostname, Guid.NewGuid());

    private static async Task<string> SendAsync(TestAgentBus agent, object request)
    {
        if (request is RegisterNode register)
        {
            Response<CredentialChallenge, EnrolmentRejected> r = await agent.Register.GetResponse<CredentialChallenge, EnrolmentRejected>(register);
            return r.Is(out Response<EnrolmentRejected>? rejected) ? rejected!.Message.ReasonCode : "challenge";
        }

        Response<NodeEnrolled, EnrolmentRejected> p = await agent.Prove.GetResponse<NodeEnrolled, EnrolmentRejected>((CredentialProof)request);
        return p.Is(out Response<EnrolmentRejected>? refused) ? refused!.Message.ReasonCode : "enrolled";
    }

    private async Task<NodeEnrolled> EnrolAsync(TestAgentBus agent, SoftwareTpm tpm, string hostname)
    {
        Response<CredentialChallenge, EnrolmentRejected> registered = await agent.Register.GetResponse<CredentialChallenge, EnrolmentRejected>(Register(tpm, hostname));
        Assert.True(registered.Is(out Response<CredentialChallenge>? c), registered.Message.ToString());
        CredentialChallenge challenge = c!.Message;
        byte[] secret = tpm.ActivateCredential(challenge.CredentialBlob, challenge.EncryptedSecret);
        Response<NodeEnrolled, EnrolmentRejected> proven = await agent.Prove.GetResponse<NodeEnrolled, EnrolmentRejected>(
            new CredentialProof(challenge.ChallengeId, tpm.TpmHash, CredentialProofMac.Compute(secret, tpm.TpmHash, challenge.ChallengeId)));
        Assert.True(proven.Is(out Response<NodeEnrolled>? e), proven.Message.ToString());
        return e!.Message;
    }

    private JsonElement Show(string tpmHash)
    {
        // The running registrar holds the file: nodes show reads a copy of it.
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        using var snapshot = new DbSnapshot(Db);
        Assert.Equal(0, RegistrarCli.Invoke(["nodes", "show", tpmHash, "--json", "--db", snapshot.DataFile], stdout, stderr));
        using JsonDocument doc = JsonDocument.Parse(stdout.ToString());
        return doc.RootElement.Clone();
    }
}
