using System.Text.Json;
using KcryptPush.Agent.Attestation;
using KcryptPush.Agent.Discovery;
using KcryptPush.Contracts.V1;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Agent.Tests.Attestation;

/// <summary>Agent-side pieces without a broker or TPM: the kcrypt event, the plugin answer, the challenge's selection, the jitter.</summary>
[Trait("Category", "Unit")]
public sealed class AgentAttestationUnitTests
{
    [Fact]
    public void The_kcrypt_event_is_read_with_extra_fields_ignored()
    {
        PartitionEvent e = PartitionEvent.Parse("{\"name\":\"discovery.password\",\"data\":\"{\\\"label\\\":\\\"COS_PERSISTENT\\\",\\\"name\\\":\\\"/dev/sda3\\\",\\\"uuid\\\":\\\"u-1\\\",\\\"size\\\":42}\",\"file\":\"\"}");
        Assert.Equal(new PartitionEvent("COS_PERSISTENT", "/dev/sda3", "u-1"), e);
    }

    [Fact]
    public void Data_moved_to_a_file_by_go_pluggable_is_read_from_it()
    {
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "{\"label\":\"COS_OEM\"}");
            Assert.Equal("COS_OEM", PartitionEvent.Parse(JsonSerializer.Serialize(new { data = string.Empty, file })).Label);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{\"data\": \"\"}")]
    [InlineData("{\"data\": \"{\\\"name\\\":\\\"/dev/sda3\\\"}\"}")]
    [InlineData("{\"data\": \"{\\\"label\\\":\\\"\\\"}\"}")]
    [InlineData("{\"data\": \"[1]\"}")]
    public void An_event_without_a_partition_label_is_refused(string stdin) =>
        Assert.Throws<DiscoveryInputException>(() => PartitionEvent.Parse(stdin));

    [Fact]
    public void The_plugin_answer_is_one_JSON_object_with_data_or_error()
    {
        string pass = "p\"a\\ss wörd+<>";
        string data = PluginResponse.Data(pass);
        Assert.StartsWith("{\"data\": \"", data, StringComparison.Ordinal);
        using (JsonDocument d = JsonDocument.Parse(data))
        {
            Assert.Equal(pass, d.RootElement.GetProperty("data").GetString());
            Assert.Single(d.RootElement.EnumerateObject());
        }

        using JsonDocument err = JsonDocument.Parse(PluginResponse.Error("quarantined: pcr-policy-violation"));
        Assert.Equal("quarantined: pcr-policy-violation", err.RootElement.GetProperty("error").GetString());
        Assert.False(err.RootElement.TryGetProperty("data", out _));
    }

    [Fact]
    public void The_challenge_selection_keeps_bank_order_and_refuses_unknown_banks_and_PCRs()
    {
        var ok = new Challenge(Guid.NewGuid(), "h", new byte[32], [new PcrBankSelection("sha256", [0, 7]), new PcrBankSelection("sha1", [23])], DateTimeOffset.UtcNow);
        var sel = TpmEvidenceTpm.SelectionOf(ok);
        Assert.Equal([TpmAlgId.Sha256, TpmAlgId.Sha1], sel.Selections.Select(s => s.Hash));
        Assert.Equal(3, sel.TotalCount);
        Assert.Throws<InvalidChallengeException>(() => TpmEvidenceTpm.SelectionOf(ok with { Selection = [new PcrBankSelection("md5", [0])] }));
        Assert.Throws<InvalidChallengeException>(() => TpmEvidenceTpm.SelectionOf(ok with { Selection = [new PcrBankSelection("sha256", [24])] }));
        Assert.Throws<InvalidChallengeException>(() => TpmEvidenceTpm.SelectionOf(ok with { Selection = [] }));
    }

    [Fact]
    public void The_interval_jitter_stays_within_ten_percent_and_varies()
    {
        var s = new PushSettings(TimeSpan.FromSeconds(60), PushSettings.DefaultEventLog, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        var random = new Random(7);
        TimeSpan[] delays = [.. Enumerable.Range(0, 500).Select(_ => s.NextDelay(random))];
        Assert.All(delays, d => Assert.InRange(d.TotalSeconds, 54, 66));
        Assert.True(delays.Min().TotalSeconds < 55.5 && delays.Max().TotalSeconds > 64.5);
    }

    [Fact]
    public void The_event_log_digest_is_the_SHA256_of_the_whole_file_and_a_missing_file_is_reported()
    {
        string path = Path.Combine(RepoPaths.EventLogs, "gcp-ubuntu2104-nosb.bin");
        EventLogSnapshot s = EventLogSnapshot.Read(path);
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)), s.Sha256);
        Assert.Throws<EventLogUnavailableException>(() => EventLogSnapshot.Read("/nonexistent/binary_bios_measurements"));
    }
}
