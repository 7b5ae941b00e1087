using KcryptPush.Contracts.V1;
using KcryptPush.Messaging;
using KcryptPush.Registrar.Tests.Support;

namespace KcryptPush.Registrar.Tests;

/// <summary>Tests that change the process's local time zone, alone (not in parallel with any other test).</summary>
[CollectionDefinition(nameof(LocalTimeZoneCollection), DisableParallelization = true)]
public sealed class LocalTimeZoneCollection;

/// <summary>
/// LiteDB hands stored DateTimes back in local time; a challenge's expiry must not move with the
/// registrar's time zone (west of UTC every proof was "expired", east of UTC a challenge lived
/// hours longer than Registrar:ChallengeLifetime).
/// </summary>
[Trait("Category", "Unit")]
[Collection(nameof(LocalTimeZoneCollection))]
public sealed class ChallengeLifetimeTimeZoneTests
{
    [Theory]
    [InlineData("America/New_York")]
    [InlineData("Asia/Tokyo")]
    [InlineData("UTC")]
    public void A_challenge_lives_its_lifetime_whatever_the_local_time_zone(string zone)
    {
        string? saved = Environment.GetEnvironmentVariable("TZ");
        Environment.SetEnvironmentVariable("TZ", zone);
        TimeZoneInfo.ClearCachedData();
        try
        {
            Assert.Equal(zone, TimeZoneInfo.Local.Id);
            using var f = new EnrolmentFixture(o => o.ChallengeLifetime = TimeSpan.FromSeconds(60));
            using SoftwareTpm tpm = SoftwareTpm.CreateEcc();

            // Answered within the lifetime: enrolled.
            f.Time.Advance(TimeSpan.FromSeconds(1));
            Assert.NotNull(f.Enrol(tpm).Enrolled);

            // Answered after it: expired.
            CredentialChallenge late = f.Service.Register(f.RegisterFor(tpm)).Challenge!;
            byte[] secret = tpm.ActivateCredential(late.CredentialBlob, late.EncryptedSecret);
            f.Time.Advance(TimeSpan.FromSeconds(61));
            Assert.Equal(EnrolmentRejectionReasons.ChallengeExpired, f.Service.Prove(new CredentialProof(late.ChallengeId, tpm.TpmHash,
                CredentialProofMac.Compute(secret, tpm.TpmHash, late.ChallengeId))).Rejection?.ReasonCode);
        }
        finally
        {
            Environment.SetEnvironmentVariable("TZ", saved);
            TimeZoneInfo.ClearCachedData();
        }
    }
}
