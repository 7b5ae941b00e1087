using KcryptPush.Tpm.Commands;
using KcryptPush.Tpm.Errors;
using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Sessions;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Tests;

/// <summary>Command bytes and response parsing (TPM 2.0 Part 3 §4) with a recording fake transport.</summary>
[Trait("Category", "Unit")]
public sealed class TpmCommandFramingCommandTests
{
    private static string Hex(byte[] b) => Convert.ToHexString(b).ToLowerInvariant();

    [Fact]
    public void A_command_without_sessions_is_tag_size_code_then_parameters()
    {
        var fake = new FakeTpmTransport().Answer("8001 0000000e 00000000 0002 abcd");
        using var tpm = new TpmCommandChannel(fake);

        byte[] random = tpm.GetRandom(2);

        Assert.Equal("80010000000c0000017b0002", Hex(fake.Commands[0]));
        Assert.Equal("abcd", Hex(random));
    }

    [Fact]
    public void A_password_session_is_nine_bytes_with_authorization_size_nine()
    {
        var fake = new FakeTpmTransport().Answer("8002 00000013 00000000 00000000 0000 01 0000");
        using var tpm = new TpmCommandChannel(fake);

        tpm.Evict(0x81018000);

        // tag 8002, size, CC EvictControl, handles owner + object, authSize 9, TPM_RS_PW entry, persistentHandle.
        Assert.Equal(
            "80020000002300000120" + "40000001" + "81018000" + "00000009" + "40000009000001" + "0000" + "81018000",
            Hex(fake.Commands[0]));
    }

    [Fact]
    public void A_policy_session_entry_has_no_nonce_and_no_hmac()
    {
        var w = new TpmWriter();
        TpmAuthorization.Policy(0x03000001).WriteTo(w);

        Assert.Equal("03000001" + "0000" + "01" + "0000", Hex(w.ToArray()));
    }

    [Fact]
    public void A_sessions_response_is_split_into_handles_parameters_and_auth_responses()
    {
        byte[] response = Convert.FromHexString("80020000002000000000" + "80000001" + "00000004" + "0002beef" + "0000010000" + "0000000000");

        TpmResponse parsed = TpmResponse.Parse(response, handleCount: 1, sessionCount: 2);

        Assert.Equal([0x80000001u], parsed.Handles);
        Assert.Equal("0002beef", Hex(parsed.Parameters));
        Assert.Equal(2, parsed.AuthResponses.Count);
        Assert.Equal(TpmaSession.ContinueSession, parsed.AuthResponses[0].Attributes);
        Assert.Equal(TpmaSession.None, parsed.AuthResponses[1].Attributes);
    }

    [Fact]
    public void A_response_whose_size_disagrees_with_its_bytes_is_a_format_error()
    {
        byte[] response = Convert.FromHexString("80010000001000000000" + "00");

        TpmFormatException e = Assert.Throws<TpmFormatException>(() => TpmResponse.Parse(response, 0, 0));
        Assert.Equal(2, e.Offset);
    }

    [Fact]
    public void A_parameter_size_beyond_the_response_is_a_format_error()
    {
        byte[] response = Convert.FromHexString("80020000001200000000" + "00000010" + "0000");

        Assert.Throws<TpmFormatException>(() => TpmResponse.Parse(response, 0, 1));
    }

    [Fact]
    public void An_error_response_becomes_a_TpmException_naming_the_code()
    {
        var fake = new FakeTpmTransport().Answer("8001 0000000a 0000018b");
        using var tpm = new TpmCommandChannel(fake);

        TpmException e = Assert.Throws<TpmException>(() => tpm.FlushContext(0x80000005));

        Assert.Equal(TpmRc.Handle, e.Code);
        Assert.Contains("TPM2_FlushContext failed: TPM_RC_HANDLE (handle 1)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_retry_warning_resends_the_same_command()
    {
        var fake = new FakeTpmTransport()
            .Answer("8001 0000000a 00000922")
            .Answer("8001 0000000a 00000908")
            .Answer("8001 0000000c 00000000 0000");
        using var tpm = new TpmCommandChannel(fake);

        tpm.GetRandom(0);

        Assert.Equal(3, fake.Commands.Count);
        Assert.Equal(fake.Commands[0], fake.Commands[2]);
    }

    [Fact]
    public void A_persistent_retry_warning_ends_in_a_TpmException()
    {
        var fake = new FakeTpmTransport();
        for (int i = 0; i < 5; i++)
        {
            fake.Answer("8001 0000000a 00000922");
        }
        using var tpm = new TpmCommandChannel(fake);

        TpmException e = Assert.Throws<TpmException>(() => tpm.GetRandom(1));

        Assert.Equal(TpmRc.Retry, e.Code);
        Assert.Equal(5, fake.Commands.Count);
    }

    [Fact]
    public void A_memory_warning_is_not_retried()
    {
        var fake = new FakeTpmTransport().Answer("8001 0000000a 00000902");
        using var tpm = new TpmCommandChannel(fake);

        Assert.Throws<TpmException>(() => tpm.GetRandom(1));
        Assert.Single(fake.Commands);
    }

    [Fact]
    public void Startup_reports_an_already_started_tpm_instead_of_failing()
    {
        var fake = new FakeTpmTransport().Answer("8001 0000000a 00000100").Answer("8001 0000000a 00000000");
        using var tpm = new TpmCommandChannel(fake);

        Assert.False(tpm.Startup());
        Assert.True(tpm.Startup());
        Assert.Equal("80010000000c000001440000", Hex(fake.Commands[0]));
    }

    [Fact]
    public void StartAuthSession_sends_null_tpmKey_and_bind_a_digest_sized_nonce_and_the_auth_hash()
    {
        var fake = new FakeTpmTransport().Answer("8001 00000012 00000000 03000000 0002 1234");
        using var tpm = new TpmCommandChannel(fake);

        TpmStartedSession s = tpm.StartAuthSession(TpmSessionType.Policy, TpmAlgId.Sha384);

        byte[] c = fake.Commands[0];
        Assert.Equal(0x03000000u, s.Handle);
        Assert.Equal("40000007" + "40000007", Hex(c[10..18]));
        Assert.Equal("0030", Hex(c[18..20]));                   // nonceCaller of 48 bytes
        Assert.Equal("0000" + "01" + "0010" + "000c", Hex(c[68..]));
    }

    [Fact]
    public void FlushContext_puts_the_handle_in_the_parameters_not_the_handle_area()
    {
        var fake = new FakeTpmTransport().Answer("8001 0000000a 00000000");
        using var tpm = new TpmCommandChannel(fake);

        tpm.FlushContext(0x03000001);

        Assert.Equal("80010000000e00000165" + "03000001", Hex(fake.Commands[0]));
    }

    [Fact]
    public void FlushQuietly_ignores_an_already_flushed_handle_but_not_other_errors()
    {
        var fake = new FakeTpmTransport().Answer("8001 0000000a 000001cb").Answer("8001 0000000a 00000101");
        using var tpm = new TpmCommandChannel(fake);

        tpm.FlushQuietly(0x03000001);
        Assert.Throws<TpmException>(() => tpm.FlushQuietly(0x03000001));
    }

    [Fact]
    public void NvRead_reads_in_chunks_of_the_buffer_size()
    {
        var fake = new FakeTpmTransport()
            .Answer("8002 00000017 00000000 00000004 0002 0102 0000010000")
            .Answer("8002 00000016 00000000 00000003 0001 03 0000010000");
        using var tpm = new TpmCommandChannel(fake);

        byte[] data = tpm.NvRead(0x01C00002, 0x01C00002, 3, chunkSize: 2);

        Assert.Equal("010203", Hex(data));
        Assert.Equal("00020000", Hex(fake.Commands[0][^4..]));
        Assert.Equal("00010002", Hex(fake.Commands[1][^4..]));
        Assert.Equal("01c00002" + "01c00002", Hex(fake.Commands[0][10..18]));
    }

    [Fact]
    public void GetProperties_follows_moreData_from_the_last_property_plus_one()
    {
        var fake = new FakeTpmTransport()
            .Answer("8001 00000023 00000000 01 00000006 00000002 00000105 49424d00 00000106 53573220")
            .Answer("8001 0000001b 00000000 00 00000006 00000001 0000010b 20191023");
        using var tpm = new TpmCommandChannel(fake);

        IReadOnlyDictionary<TpmPt, uint> props = tpm.GetProperties(TpmPt.Manufacturer, 8);

        Assert.Equal(0x49424D00u, props[TpmPt.Manufacturer]);
        Assert.Equal(0x20191023u, props[TpmPt.FirmwareVersion1]);
        Assert.Equal("00000006" + "00000107" + "00000006", Hex(fake.Commands[1][10..]));
    }

    [Fact]
    public void GetHandles_collects_every_page()
    {
        var fake = new FakeTpmTransport()
            .Answer("8001 0000001b 00000000 01 00000001 00000002 80000000 80000001")
            .Answer("8001 00000017 00000000 00 00000001 00000001 80000002");
        using var tpm = new TpmCommandChannel(fake);

        IReadOnlyList<uint> handles = tpm.GetHandles(TpmHandle.TransientFirst);

        Assert.Equal([0x80000000u, 0x80000001u, 0x80000002u], handles);
        Assert.Equal("00000001" + "80000002", Hex(fake.Commands[1][10..18]));
    }

    [Fact]
    public void Disposing_the_channel_disposes_an_owned_transport()
    {
        var fake = new FakeTpmTransport();
        new TpmCommandChannel(fake).Dispose();
        Assert.True(fake.Disposed);
    }
}
