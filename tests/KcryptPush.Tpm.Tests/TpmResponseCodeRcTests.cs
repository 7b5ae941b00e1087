using KcryptPush.Tpm.Errors;

namespace KcryptPush.Tpm.Tests;

/// <summary>The decoder against the response codes swtpm returned LIVE (TPM-FACTS §1) and Part 2 Tables 12-13.</summary>
[Trait("Category", "Unit")]
public sealed class TpmResponseCodeRcTests
{
    [Theory]
    [InlineData(0x18Bu, TpmRc.Handle, TpmRcSubject.Handle, 1, "TPM_RC_HANDLE (handle 1)")]
    [InlineData(0x1C4u, TpmRc.Value, TpmRcSubject.Parameter, 1, "TPM_RC_VALUE (parameter 1)")]
    [InlineData(0x1D5u, TpmRc.Size, TpmRcSubject.Parameter, 1, "TPM_RC_SIZE (parameter 1)")]
    [InlineData(0xA9Du, TpmRc.PolicyFail, TpmRcSubject.Session, 2, "TPM_RC_POLICY_FAIL (session 2)")]
    [InlineData(0x1DFu, TpmRc.Integrity, TpmRcSubject.Parameter, 1, "TPM_RC_INTEGRITY (parameter 1)")]
    [InlineData(0x1CBu, TpmRc.Handle, TpmRcSubject.Parameter, 1, "TPM_RC_HANDLE (parameter 1)")]
    [InlineData(0x084u, TpmRc.Value, TpmRcSubject.None, 0, "TPM_RC_VALUE")]
    [InlineData(0x2D2u, TpmRc.Scheme, TpmRcSubject.Parameter, 2, "TPM_RC_SCHEME (parameter 2)")]
    [InlineData(0x98Eu, TpmRc.AuthFail, TpmRcSubject.Session, 1, "TPM_RC_AUTH_FAIL (session 1)")]
    [InlineData(0xFC4u, TpmRc.Value, TpmRcSubject.Parameter, 15, "TPM_RC_VALUE (parameter 15)")]
    [InlineData(0x78Bu, TpmRc.Handle, TpmRcSubject.Handle, 7, "TPM_RC_HANDLE (handle 7)")]
    public void Format1_codes_name_the_code_and_the_item(uint raw, TpmRc code, TpmRcSubject subject, int number, string text)
    {
        var rc = new TpmResponseCode(raw);

        Assert.True(rc.IsFormat1);
        Assert.False(rc.IsSuccess);
        Assert.Equal(code, rc.Code);
        Assert.Equal(subject, rc.Subject);
        Assert.Equal(number, rc.Number);
        Assert.Equal(text, rc.ToString());
    }

    [Theory]
    [InlineData(0x100u, TpmRc.Initialize, "TPM_RC_INITIALIZE")]
    [InlineData(0x101u, TpmRc.Failure, "TPM_RC_FAILURE")]
    [InlineData(0x146u, TpmRc.NvRange, "TPM_RC_NV_RANGE")]
    [InlineData(0x14Au, TpmRc.NvUninitialized, "TPM_RC_NV_UNINITIALIZED")]
    [InlineData(0x144u, TpmRc.AuthSize, "TPM_RC_AUTHSIZE")]
    [InlineData(0x155u, TpmRc.Sensitive, "TPM_RC_SENSITIVE")]
    public void Format0_version1_codes_are_errors_without_an_item(uint raw, TpmRc code, string text)
    {
        var rc = new TpmResponseCode(raw);

        Assert.False(rc.IsFormat1);
        Assert.False(rc.IsWarning);
        Assert.Equal(code, rc.Code);
        Assert.Equal(TpmRcSubject.None, rc.Subject);
        Assert.Equal(text, rc.ToString());
    }

    [Theory]
    [InlineData(0x908u, TpmRc.Yielded, "TPM_RC_YIELDED")]
    [InlineData(0x90Au, TpmRc.Testing, "TPM_RC_TESTING")]
    [InlineData(0x922u, TpmRc.Retry, "TPM_RC_RETRY")]
    [InlineData(0x902u, TpmRc.ObjectMemory, "TPM_RC_OBJECT_MEMORY")]
    [InlineData(0x903u, TpmRc.SessionMemory, "TPM_RC_SESSION_MEMORY")]
    [InlineData(0x921u, TpmRc.Lockout, "TPM_RC_LOCKOUT")]
    [InlineData(0x912u, TpmRc.ReferenceH2, "TPM_RC_REFERENCE_H2")]
    [InlineData(0x91Bu, TpmRc.ReferenceS3, "TPM_RC_REFERENCE_S3")]
    [InlineData(0x923u, TpmRc.NvUnavailable, "TPM_RC_NV_UNAVAILABLE")]
    public void Warnings_are_decoded_as_warnings(uint raw, TpmRc code, string text)
    {
        var rc = new TpmResponseCode(raw);

        Assert.True(rc.IsWarning);
        Assert.Equal(code, rc.Code);
        Assert.Equal(text, rc.ToString());
    }

    [Theory]
    [InlineData(0x908u, true)]
    [InlineData(0x90Au, true)]
    [InlineData(0x922u, true)]
    [InlineData(0x902u, false)]
    [InlineData(0x921u, false)]
    [InlineData(0x18Bu, false)]
    [InlineData(0x101u, false)]
    public void Only_yielded_testing_and_retry_are_resent(uint raw, bool retry) =>
        Assert.Equal(retry, KcryptPush.Tpm.Commands.TpmCommandChannel.IsRetryable(new TpmResponseCode(raw)));

    [Fact]
    public void A_vendor_code_is_not_mistaken_for_a_spec_code()
    {
        var rc = new TpmResponseCode(0x501);

        Assert.True(rc.IsVendor);
        Assert.False(rc.IsWarning);
        Assert.Contains("vendor", rc.ToString(), StringComparison.Ordinal);
        Assert.Contains("0x501", rc.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0x001u)]
    [InlineData(0x026u)]
    public void A_tpm12_code_is_named_as_such(uint raw)
    {
        var rc = new TpmResponseCode(raw);

        Assert.True(rc.IsTpm12);
        Assert.StartsWith("TPM 1.2 response code", rc.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Zero_is_success()
    {
        var rc = new TpmResponseCode(0);

        Assert.True(rc.IsSuccess);
        Assert.Equal("TPM_RC_SUCCESS", rc.ToString());
    }

    [Fact]
    public void Every_enum_value_has_a_spec_name()
    {
        foreach (TpmRc code in Enum.GetValues<TpmRc>())
        {
            Assert.True(TpmRcNames.IsKnown(code), code.ToString());
            Assert.StartsWith("TPM_RC_", TpmRcNames.NameOf(code), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void An_unknown_format0_code_is_named_with_its_value_not_left_bare()
    {
        var rc = new TpmResponseCode(0x17F);

        Assert.Equal("TPM_RC_UNKNOWN_0x17F", rc.ToString());
    }

    [Fact]
    public void TpmException_message_names_command_code_item_and_raw_value()
    {
        var e = new TpmException("TPM2_ActivateCredential", new TpmResponseCode(0xA9D));

        Assert.Equal(TpmRc.PolicyFail, e.Code);
        Assert.Equal("TPM2_ActivateCredential failed: TPM_RC_POLICY_FAIL (session 2) [0x00000A9D]", e.Message);
    }
}
