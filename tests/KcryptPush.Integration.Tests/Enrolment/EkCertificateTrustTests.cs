using System.Text.Json;
using KcryptPush.Contracts.V1;
using KcryptPush.Integration.Tests.Fixtures;

namespace KcryptPush.Integration.Tests.Enrolment;

/// <summary>
/// EK certificates on the real path: swtpm instances each carry EK certificates from their own
/// local CA; the registrar trusts only one of those CAs; <c>kcrypt-push-agent enroll</c> runs as a
/// process against it.
/// </summary>
[Trait("Category", "Integration")]
public sealed class EkCertificateTrustTests : IAsyncLifetime
{
    private readonly PrivateStack _stack = new(3);

    public Task InitializeAsync() => _stack.InitializeAsync();

    public Task DisposeAsync() => _stack.DisposeAsync();

    [Fact]
    public async Task An_EK_certificate_from_an_untrusted_CA_is_rejected_unless_certificates_are_optional_and_the_TPM_hash_is_allow_listed()
    {
        SwtpmInstance untrusted = _stack.Tpms[0], trusted = _stack.Tpms[1], other = _stack.Tpms[2];
        string trustedCaOnly = SwtpmPool.CaDirectory(_stack.Services.Directory, trusted);
        string hash = TpmKeys.HashOf(untrusted);

        // 1. RequireEkCertificate=true, only the other instance's CA is trusted.
        await _stack.Services.StartAsync(trustedCaOnly);
        ProcessResult rejected = Enroll(untrusted);
        Assert.Equal(1, rejected.ExitCode);
        string message = Assert.Single(rejected.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("kcrypt-push-agent:", StringComparison.Ordinal));
        Assert.Contains($"enrolment rejected ({EnrolmentRejectionReasons.EkCertificateUntrusted})", message, StringComparison.Ordinal);
        Assert.True(Enroll(trusted).ExitCode == 0, "a certificate from the trusted CA is accepted");
        Assert.NotEqual("enrolled", _stack.Services.RegistrarNode(hash)?.GetProperty("state").GetString());

        // 2. Same certificate, RequireEkCertificate=false and the TPM hash allow-listed.
        _stack.Services.Registrar!.Terminate();
        _stack.Services.StartRegistrar(trustedCaOnly, requireEkCertificate: false, new Dictionary<string, string?>
        {
            ["KCRYPTPUSH_Registrar__AllowedTpmHashes__0"] = hash,
        });
        await _stack.Broker.WaitForConsumersAsync(TimeSpan.FromSeconds(60), KcryptPushServices.RegistrarQueue);

        ProcessResult accepted = Enroll(untrusted);
        Assert.True(accepted.ExitCode == 0, accepted.StdErr);
        Assert.Contains($"enrolled: tpm hash {hash}", accepted.StdOut, StringComparison.Ordinal);
        JsonElement node = _stack.Services.RegistrarNode(hash) ?? throw new InvalidOperationException("not stored");
        Assert.Equal("enrolled", node.GetProperty("state").GetString());
        Assert.Equal("allow-list", node.GetProperty("ekTrust").GetString());
        await _stack.Services.WaitForVerifierNodeAsync(hash, TimeSpan.FromSeconds(60));

        // ...which lets in only the allow-listed TPM: another untrusted certificate is still refused.
        ProcessResult stillRejected = Enroll(other);
        Assert.Equal(1, stillRejected.ExitCode);
        Assert.Contains(EnrolmentRejectionReasons.EkCertificateUntrusted, stillRejected.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain(_stack.Services.VerifierNodes(), n => n.GetProperty("tpmHash").GetString() == TpmKeys.HashOf(other));
    }

    private ProcessResult Enroll(SwtpmInstance tpm) =>
        ProcessRunner.Run("dotnet", [KcryptPushBinaries.Agent, "enroll", "--broker", _stack.Broker.Uri, "--tpm", tpm.TpmUri, "--timeout", "60s"]);
}
