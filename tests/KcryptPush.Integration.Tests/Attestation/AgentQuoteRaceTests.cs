using System.Security.Cryptography;
using KcryptPush.Agent.Attestation;
using KcryptPush.Attestation.Quotes;
using KcryptPush.Contracts.V1;
using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Tpm.Client;
using KcryptPush.Tpm.Commands;
using KcryptPush.Tpm.Release;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Integration.Tests.Attestation;

/// <summary>
/// The agent's quote and PCR read are two TPM commands; on a live system the kernel extends PCR 10
/// (IMA) between them. Here a real swtpm gets PCR 10 extended between the two, as the kernel would.
/// </summary>
[Trait("Category", "Integration")]
public sealed class AgentQuoteRaceTests : IClassFixture<SwtpmClassFixture>
{
    private const uint AkHandle = 0x81010077;
    private readonly SwtpmClassFixture _f;
    private readonly TpmtPublic _ak;

    public AgentQuoteRaceTests(SwtpmClassFixture fixture)
    {
        _f = fixture;
        using TpmClient tpm = TpmClient.Open(_f.Tpm.TpmUri);
        using TpmKey ak = tpm.GetOrCreatePersistentAk(AkKind.Rsa2048, TpmAlgId.Sha256, AkHandle);
        _ak = ak.Public;
    }

    private static readonly byte[] LogDigest = SHA256.HashData("the event log"u8);

    private static Challenge NewChallenge() => new(
        Guid.NewGuid(), "node", RandomNumberGenerator.GetBytes(32),
        [new PcrBankSelection("sha256", [0, 7, 10, 14]), new PcrBankSelection("sha1", [10])],
        DateTimeOffset.UtcNow.AddMinutes(1));

    private TpmEvidenceTpm Agent(Func<int, bool> extendAfterAttempt) => new(_f.Tpm.TpmUri, EkKind.Rsa2048, AkHandle)
    {
        AfterQuote = (tpm, attempt) =>
        {
            if (extendAfterAttempt(attempt))
            {
                tpm.ExtendPcr(10, TpmAlgId.Sha256, RandomNumberGenerator.GetBytes(32));
            }
        },
    };

    [Fact]
    public void A_pcr_extended_between_quote_and_read_is_quoted_again_and_the_evidence_verifies()
    {
        Challenge challenge = NewChallenge();
        TpmEvidenceTpm agent = Agent(attempt => attempt == 1);

        QuoteEvidence evidence = agent.Quote(challenge, LogDigest, releaseKey: false);

        Assert.Equal(2, agent.Attempts);
        QuoteVerificationResult result = Verify(challenge, evidence);
        Assert.True(result.Passed, result.ToString());
    }

    [Fact]
    public void Without_the_second_quote_the_same_race_is_a_pcr_digest_mismatch()
    {
        // What the verifier saw before the agent retried: the first quote with the values read after the extend.
        Challenge challenge = NewChallenge();
        TpmlPcrSelection selection = TpmEvidenceTpm.SelectionOf(challenge);
        using TpmClient tpm = TpmClient.Open(_f.Tpm.TpmUri);
        TpmQuote quote = tpm.Quote(AkHandle, challenge.Nonce, selection);
        tpm.ExtendPcr(10, TpmAlgId.Sha256, RandomNumberGenerator.GetBytes(32));
        IReadOnlyList<TpmPcrValue> values = tpm.ReadPcrs(selection);

        Assert.False(QuotedPcrDigest.Matches(quote, values));
        using var verifier = new QuoteVerifier(_ak);
        QuoteVerificationResult result = verifier.Verify(quote.Attest, quote.Signature, challenge.Nonce, selection, Reported(values));
        Assert.Contains(result.Findings, f => f.Code == QuoteFindingCodes.PcrDigestMismatch);
    }

    [Fact]
    public void Pcrs_that_never_hold_still_end_in_a_typed_error_after_the_last_attempt_and_nothing_is_returned()
    {
        int extends = 0;
        TpmEvidenceTpm agent = Agent(_ => ++extends > 0);

        PcrsKeptChangingException e = Assert.Throws<PcrsKeptChangingException>(() => agent.Quote(NewChallenge(), LogDigest, releaseKey: false));

        Assert.Equal(TpmEvidenceTpm.MaxQuoteAttempts, extends);
        Assert.Contains("TPM2_Quote", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_quiet_tpm_needs_one_quote()
    {
        Challenge challenge = NewChallenge();
        TpmEvidenceTpm agent = Agent(_ => false);

        QuoteEvidence evidence = agent.Quote(challenge, LogDigest, releaseKey: false);

        Assert.Equal(1, agent.Attempts);
        Assert.True(Verify(challenge, evidence).Passed);
    }

    [Fact]
    public void A_pcr_extended_during_a_release_quote_gives_a_new_release_key_bound_to_the_values_finally_quoted()
    {
        Challenge challenge = NewChallenge();
        TpmEvidenceTpm agent = Agent(attempt => attempt == 1);

        QuoteEvidence evidence = agent.Quote(challenge, LogDigest, releaseKey: true);

        Assert.Equal(2, agent.Attempts);
        Assert.True(Verify(challenge, evidence).Passed);
        Assert.NotNull(evidence.ReleaseKeyPublic);
        TpmsAttest attest = TpmsAttest.Parse(evidence.Attest);
        Assert.Null(ReleaseKeyCheck.Problem(TpmtPublic.Parse(evidence.ReleaseKeyPublic), attest, ReportedOf(evidence)));

        // The key was flushed after the quote: no transient object is left in the TPM.
        using TpmClient tpm = TpmClient.Open(_f.Tpm.TpmUri);
        Assert.Empty(tpm.GetHandles(0x80000000));
    }

    private static PcrValues ReportedOf(QuoteEvidence evidence)
    {
        var reported = new PcrValues();
        foreach (PcrBankValues bank in evidence.Pcrs)
        {
            Assert.True(TpmAlgorithms.TryParsePcrBank(bank.Bank, out TpmAlgId alg));
            foreach ((int pcr, byte[] value) in bank.Values)
            {
                reported.Set(alg, pcr, value);
            }
        }

        return reported;
    }

    private QuoteVerificationResult Verify(Challenge challenge, QuoteEvidence evidence)
    {
        var reported = new PcrValues();
        foreach (PcrBankValues bank in evidence.Pcrs)
        {
            Assert.True(TpmAlgorithms.TryParsePcrBank(bank.Bank, out TpmAlgId alg));
            foreach ((int pcr, byte[] value) in bank.Values)
            {
                reported.Set(alg, pcr, value);
            }
        }

        using var verifier = new QuoteVerifier(_ak);
        byte[] releaseKeyName = evidence.ReleaseKeyPublic is null ? [] : TpmtPublic.Parse(evidence.ReleaseKeyPublic).ComputeName();
        return verifier.Verify(evidence.Attest, evidence.Signature, EvidenceBinding.Compute(challenge.Nonce, LogDigest, releaseKeyName),
            TpmEvidenceTpm.SelectionOf(challenge), reported);
    }

    private static PcrValues Reported(IReadOnlyList<TpmPcrValue> values)
    {
        var reported = new PcrValues();
        foreach (TpmPcrValue v in values)
        {
            reported.Set(v.Bank, v.Index, v.Digest);
        }

        return reported;
    }
}
