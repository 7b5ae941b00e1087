using KcryptPush.Contracts.V1;
using KcryptPush.Messaging;
using KcryptPush.Registrar.Hosting;
using KcryptPush.Registrar.Store;
using KcryptPush.Registrar.Tests.Support;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace KcryptPush.Registrar.Tests.Integration;

/// <summary>The broker goes away in the middle of an enrolment and comes back; nothing restarts.</summary>
[Trait("Category", "Integration")]
public sealed class BrokerOutageTests(RabbitMqFixture broker) : IClassFixture<RabbitMqFixture>
{
    [Fact]
    public async Task An_enrolment_started_while_the_broker_is_down_completes_once_it_is_back()
    {
        string dir = Directory.CreateTempSubdirectory("kcp-outage-").FullName;
        using var pki = TestPki.Create();
        pki.WriteCaDirectory(Path.Combine(dir, "ek-ca"));
        using IHost registrar = RegistrarHost.Build(
            new Dictionary<string, string?>
            {
                ["Broker:Uri"] = broker.Uri,
                ["Http:Listen"] = "127.0.0.1:0", // test classes run in parallel: no fixed port
                ["Registrar:Db"] = Path.Combine(dir, "registrar.db"),
                ["Registrar:EkCaDir"] = Path.Combine(dir, "ek-ca"),
            },
            environment: new Dictionary<string, string?>());
        await registrar.StartAsync();
        try
        {
            await using TestAgentBus agent = await TestAgentBus.StartAsync(
                broker.Uri, "kcrypt-push-test-outage-probe", requestTimeout: TimeSpan.FromSeconds(90));
            using SoftwareTpm tpm = SoftwareTpm.CreateEcc();

            // Warm up: the registrar's queue exists and both sides are connected.
            var warm = new RegisterNode(tpm.TpmHash, tpm.Ek.ToArray(), pki.IssueEkCertificate(tpm.EkPublicKey), tpm.Ak.ToArray(), "outage", Guid.NewGuid());
            Assert.True((await agent.Register.GetResponse<CredentialChallenge, EnrolmentRejected>(warm)).Is(out Response<CredentialChallenge>? _));

            await broker.StopAsync();
            var register = warm with { RegistrationId = Guid.NewGuid() };
            Task<Response<CredentialChallenge, EnrolmentRejected>> pending = agent.Register.GetResponse<CredentialChallenge, EnrolmentRejected>(register);
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.False(pending.IsCompleted);
            await broker.StartAsync();

            Response<CredentialChallenge, EnrolmentRejected> response = await pending;
            Assert.True(response.Is(out Response<CredentialChallenge>? challenge), response.Message.ToString());
            byte[] secret = tpm.ActivateCredential(challenge!.Message.CredentialBlob, challenge.Message.EncryptedSecret);
            var proof = new CredentialProof(challenge.Message.ChallengeId, tpm.TpmHash,
                CredentialProofMac.Compute(secret, tpm.TpmHash, challenge.Message.ChallengeId));
            Assert.True((await agent.Prove.GetResponse<NodeEnrolled, EnrolmentRejected>(proof)).Is(out Response<NodeEnrolled>? _));

            IRegistrarStore store = registrar.Services.GetRequiredService<IRegistrarStore>();
            Assert.Equal(NodeState.Enrolled, store.FindNode(tpm.TpmHash)!.State);
        }
        finally
        {
            await registrar.StopAsync();
            Directory.Delete(dir, recursive: true);
        }
    }
}
