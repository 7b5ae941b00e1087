using System.Security.Cryptography;
using System.Text;
using KcryptPush.Agent.Enrolment;
using KcryptPush.Contracts.V1;
using KcryptPush.Tpm.Errors;
using KcryptPush.Tpm.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace KcryptPush.Agent.Tests.Enrolment;

/// <summary>The agent's enrolment state machine, one test per transition, with a scripted registrar and TPM.</summary>
[Trait("Category", "Unit")]
public sealed class EnrollerTests
{
    private static readonly EnrolmentSettings Fast = new("node-a", TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(5));

    [Fact]
    public async Task The_proof_is_hmac_sha256_keyed_by_the_recovered_credential_over_the_hash_text_and_the_big_endian_challenge_id()
    {
        var tpm = new FakeTpm();
        var registrar = new FakeRegistrar(tpm);

        EnrolmentResult result = await new Enroller(tpm, registrar, Fast, NullLogger<Enroller>.Instance).EnrolAsync(CancellationToken.None);

        Assert.Equal(EnrolmentStatus.Enrolled, result.Status);
        CredentialProof proof = Assert.Single(registrar.Proofs);
        CredentialChallenge challenge = Assert.Single(registrar.Challenges);
        // Independent of CredentialProofMac: the byte string of the contract's doc comment.
        byte[] message = [.. Encoding.ASCII.GetBytes(tpm.Identity.TpmHash), .. challenge.ChallengeId.ToByteArray(bigEndian: true)];
        Assert.Equal(HMACSHA256.HashData(tpm.Credential, message), proof.Proof);
        Assert.Equal(challenge.ChallengeId, proof.ChallengeId);
        Assert.DoesNotContain(Convert.ToHexString(tpm.Credential), Convert.ToHexString(proof.Proof), StringComparison.Ordinal);
        RegisterNode sent = Assert.Single(registrar.Registrations);
        Assert.Equal(tpm.Identity.AkPublic, sent.AkPublic);
        Assert.Equal(tpm.Identity.EkCertificate, sent.EkCertificate);
        Assert.Equal("node-a", sent.Hostname);
    }

    [Fact]
    public async Task Transient_failures_resend_the_same_registration_and_the_same_proof()
    {
        var tpm = new FakeTpm();
        var registrar = new FakeRegistrar(tpm) { RegisterOutages = 3, ProveOutages = 2 };

        EnrolmentResult result = await new Enroller(tpm, registrar, Fast, NullLogger<Enroller>.Instance).EnrolAsync(CancellationToken.None);

        Assert.Equal(EnrolmentStatus.Enrolled, result.Status);
        Assert.Equal(4, registrar.Registrations.Count);
        Assert.Single(registrar.Registrations.Select(r => r.RegistrationId).Distinct());
        Assert.Equal(3, registrar.Proofs.Count);
        Assert.Single(registrar.Proofs.Select(p => Convert.ToHexString(p.Proof)).Distinct());
        Assert.Equal(1, tpm.Activations);
    }

    [Fact]
    public async Task A_rate_limited_registration_is_retried_as_a_new_registration()
    {
        var tpm = new FakeTpm();
        var registrar = new FakeRegistrar(tpm) { RegisterRejections = new Queue<string>([EnrolmentRejectionReasons.RateLimited]) };

        EnrolmentResult result = await new Enroller(tpm, registrar, Fast, NullLogger<Enroller>.Instance).EnrolAsync(CancellationToken.None);

        Assert.Equal(EnrolmentStatus.Enrolled, result.Status);
        Assert.Equal(2, registrar.Registrations.Select(r => r.RegistrationId).Distinct().Count());
    }

    [Theory]
    [InlineData(EnrolmentRejectionReasons.ChallengeExpired)]
    [InlineData(EnrolmentRejectionReasons.ChallengeUnknown)]
    public async Task An_expired_or_unknown_challenge_starts_a_new_registration_and_activation(string reason)
    {
        var tpm = new FakeTpm();
        var registrar = new FakeRegistrar(tpm) { ProofRejections = new Queue<string>([reason]) };

        EnrolmentResult result = await new Enroller(tpm, registrar, Fast, NullLogger<Enroller>.Instance).EnrolAsync(CancellationToken.None);

        Assert.Equal(EnrolmentStatus.Enrolled, result.Status);
        Assert.Equal(2, registrar.Registrations.Select(r => r.RegistrationId).Distinct().Count());
        Assert.Equal(2, tpm.Activations);
        Assert.NotEqual(registrar.Proofs[0].ChallengeId, registrar.Proofs[1].ChallengeId);
    }

    [Theory]
    [InlineData(EnrolmentRejectionReasons.EkCertificateUntrusted)]
    [InlineData(EnrolmentRejectionReasons.AkAttributes)]
    [InlineData(EnrolmentRejectionReasons.TpmHashMismatch)]
    public async Task A_rejected_registration_is_final(string reason)
    {
        var tpm = new FakeTpm();
        var registrar = new FakeRegistrar(tpm) { RegisterRejections = new Queue<string>([reason]) };

        EnrolmentResult result = await new Enroller(tpm, registrar, Fast, NullLogger<Enroller>.Instance).EnrolAsync(CancellationToken.None);

        Assert.Equal(EnrolmentStatus.Rejected, result.Status);
        Assert.Equal(reason, result.Rejection!.ReasonCode);
        Assert.Contains(reason, result.Message, StringComparison.Ordinal);
        Assert.Single(registrar.Registrations);
        Assert.Equal(0, tpm.Activations);
    }

    [Fact]
    public async Task An_invalid_proof_is_final()
    {
        var tpm = new FakeTpm();
        var registrar = new FakeRegistrar(tpm) { ProofRejections = new Queue<string>([EnrolmentRejectionReasons.ProofInvalid]) };

        EnrolmentResult result = await new Enroller(tpm, registrar, Fast, NullLogger<Enroller>.Instance).EnrolAsync(CancellationToken.None);

        Assert.Equal(EnrolmentStatus.Rejected, result.Status);
        Assert.Equal(EnrolmentRejectionReasons.ProofInvalid, result.Rejection!.ReasonCode);
        Assert.Single(registrar.Proofs);
    }

    [Fact]
    public async Task A_TPM_that_refuses_activation_ends_enrolment_without_sending_a_proof()
    {
        var tpm = new FakeTpm { ActivationError = new TpmException("TPM2_ActivateCredential failed: TPM_RC_INTEGRITY") };
        var registrar = new FakeRegistrar(tpm);

        EnrolmentResult result = await new Enroller(tpm, registrar, Fast, NullLogger<Enroller>.Instance).EnrolAsync(CancellationToken.None);

        Assert.Equal(EnrolmentStatus.Failed, result.Status);
        Assert.Contains("refused credential activation", result.Message, StringComparison.Ordinal);
        Assert.Empty(registrar.Proofs);
    }

    [Fact]
    public async Task An_unreachable_TPM_is_retried()
    {
        var tpm = new FakeTpm { UnreachableReads = 2 };
        var registrar = new FakeRegistrar(tpm);

        EnrolmentResult result = await new Enroller(tpm, registrar, Fast, NullLogger<Enroller>.Instance).EnrolAsync(CancellationToken.None);

        Assert.Equal(EnrolmentStatus.Enrolled, result.Status);
        Assert.Equal(3, tpm.Reads);
    }

    [Fact]
    public async Task A_registrar_that_stays_away_ends_in_a_timeout_naming_the_last_error()
    {
        var tpm = new FakeTpm();
        var registrar = new FakeRegistrar(tpm) { RegisterOutages = int.MaxValue };

        EnrolmentResult result = await new Enroller(tpm, registrar, Fast, NullLogger<Enroller>.Instance)
            .EnrolAsync(CancellationToken.None, TimeSpan.FromMilliseconds(300));

        Assert.Equal(EnrolmentStatus.TimedOut, result.Status);
        Assert.Contains("Register", result.Message, StringComparison.Ordinal);
        Assert.Contains("broker down", result.Message, StringComparison.Ordinal);
        Assert.True(registrar.Registrations.Count > 1);
    }

    [Fact]
    public async Task A_malformed_message_fault_is_final()
    {
        var tpm = new FakeTpm();
        var registrar = new FakeRegistrar(tpm) { Fault = new RegistrarFaultException("the registrar refused RegisterNode as malformed: AkPublic") };

        EnrolmentResult result = await new Enroller(tpm, registrar, Fast, NullLogger<Enroller>.Instance).EnrolAsync(CancellationToken.None);

        Assert.Equal(EnrolmentStatus.Failed, result.Status);
        Assert.Single(registrar.Registrations);
    }

    [Fact]
    public async Task NodeEnrolled_for_another_AK_is_not_taken_as_success()
    {
        var tpm = new FakeTpm();
        var registrar = new FakeRegistrar(tpm) { EnrolledAkName = [0, 0x0b, .. new byte[32]] };

        EnrolmentResult result = await new Enroller(tpm, registrar, Fast, NullLogger<Enroller>.Instance).EnrolAsync(CancellationToken.None);

        Assert.Equal(EnrolmentStatus.Failed, result.Status);
    }

    [Fact]
    public async Task Cancellation_stops_the_retries()
    {
        var tpm = new FakeTpm();
        var registrar = new FakeRegistrar(tpm) { RegisterOutages = int.MaxValue };
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new Enroller(tpm, registrar, Fast, NullLogger<Enroller>.Instance).EnrolAsync(cts.Token));
    }

    private sealed class FakeTpm : IAgentTpm
    {
        public AgentIdentity Identity { get; } = new(
            Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)),
            RandomNumberGenerator.GetBytes(280),
            RandomNumberGenerator.GetBytes(600),
            RandomNumberGenerator.GetBytes(280),
            [0x00, 0x0b, .. RandomNumberGenerator.GetBytes(32)]);

        public byte[] Credential { get; } = RandomNumberGenerator.GetBytes(32);

        public Exception? ActivationError { get; init; }

        public int UnreachableReads { get; set; }

        public int Reads { get; private set; }

        public int Activations { get; private set; }

        public AgentIdentity ReadIdentity()
        {
            Reads++;
            if (UnreachableReads-- > 0)
            {
                throw new TpmTransportException("connection refused");
            }

            return Identity;
        }

        public byte[] ActivateCredential(CredentialChallenge challenge)
        {
            Activations++;
            if (ActivationError is not null)
            {
                throw ActivationError;
            }

            return challenge.CredentialBlob.AsSpan().SequenceEqual(Credential) ? (byte[])Credential.Clone() : RandomNumberGenerator.GetBytes(32);
        }
    }

    /// <summary>Issues challenges whose "blob" is the credential itself (the fake TPM recognises it) and checks proofs.</summary>
    private sealed class FakeRegistrar(FakeTpm tpm) : IRegistrarClient
    {
        private readonly Dictionary<Guid, CredentialChallenge> _open = [];

        public List<RegisterNode> Registrations { get; } = [];

        public List<CredentialChallenge> Challenges { get; } = [];

        public List<CredentialProof> Proofs { get; } = [];

        public int RegisterOutages { get; set; }

        public int ProveOutages { get; set; }

        public Queue<string> RegisterRejections { get; init; } = new();

        public Queue<string> ProofRejections { get; init; } = new();

        public RegistrarFaultException? Fault { get; init; }

        public byte[]? EnrolledAkName { get; init; }

        public Task<RegistrarReply<CredentialChallenge>> RegisterAsync(RegisterNode request, CancellationToken cancellationToken)
        {
            Registrations.Add(request);
            if (Fault is not null)
            {
                throw Fault;
            }

            if (RegisterOutages-- > 0)
            {
                throw new RegistrarUnavailableException("broker down");
            }

            if (RegisterRejections.TryDequeue(out string? reason))
            {
                return Task.FromResult(new RegistrarReply<CredentialChallenge>(null, new EnrolmentRejected(request.TpmHash, reason, "scripted", null)));
            }

            // Like the registrar: a retried registration (same id) gets the same open challenge.
            if (!_open.TryGetValue(request.RegistrationId, out CredentialChallenge? challenge))
            {
                challenge = new CredentialChallenge(Guid.NewGuid(), request.TpmHash, tpm.Credential, [1, 2, 3], DateTimeOffset.UtcNow.AddMinutes(1));
                _open[request.RegistrationId] = challenge;
                Challenges.Add(challenge);
            }

            return Task.FromResult(new RegistrarReply<CredentialChallenge>(challenge, null));
        }

        public Task<RegistrarReply<NodeEnrolled>> ProveAsync(CredentialProof proof, CancellationToken cancellationToken)
        {
            Proofs.Add(proof);
            if (ProveOutages-- > 0)
            {
                throw new RegistrarUnavailableException("no answer in time");
            }

            if (ProofRejections.TryDequeue(out string? reason))
            {
                return Task.FromResult(new RegistrarReply<NodeEnrolled>(null, new EnrolmentRejected(proof.TpmHash, reason, "scripted", proof.ChallengeId)));
            }

            return Task.FromResult(new RegistrarReply<NodeEnrolled>(
                new NodeEnrolled(proof.TpmHash, tpm.Identity.EkPublic, tpm.Identity.AkPublic, EnrolledAkName ?? tpm.Identity.AkName, "node-a", DateTimeOffset.UtcNow), null));
        }
    }
}
