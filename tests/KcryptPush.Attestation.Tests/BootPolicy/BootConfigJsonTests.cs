using KcryptPush.Attestation.BootPolicy;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Tests.EventLog;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.Tests.BootPolicy;

/// <summary>The JSON of the kernel command line and boot configuration parts: round trip and typed errors.</summary>
[Trait("Category", "Unit")]
public sealed class BootConfigJsonTests
{
    private const string Sha256Zero = "0000000000000000000000000000000000000000000000000000000000000000";

    private static string Policy(string rest) => $"{{\"version\": 1, \"banks\": [\"sha256\"]{rest}}}";

    [Fact]
    public void Kernel_command_line_and_boot_config_load_back_as_written()
    {
        ParsedEventLog log = EventLogParser.Parse(SharedLogs.Bytes("qemu-fedora37-sdboot"));
        string json = BootPolicyJson.Write(BootPolicyFactory.Create(log));
        Assert.Contains("\"kernelCommandLine\"", json, StringComparison.Ordinal);
        Assert.Contains("\"bootConfig\"", json, StringComparison.Ordinal);
        MeasuredBootPolicy loaded = BootPolicyJson.Load(json);
        Assert.Equal([" console=ttyS0 console=tty0 efi=debug "], loaded.KernelCommandLine!.Values);
        Assert.Equal([false, true, false, false, false, false], loaded.BootConfig!.Select(c => c.Required));
        Assert.Equal(json, BootPolicyJson.Write(loaded));
    }

    [Fact]
    public void Absent_command_line_required_defaults_and_null_parts_load()
    {
        MeasuredBootPolicy p = BootPolicyJson.Load(Policy($", \"kernelCommandLine\": {{\"absent\": true}}, \"bootConfig\": [{{\"pcr\": 11, \"allowed\": {{\"sha256\": [\"{Sha256Zero}\"]}}}}]"));
        Assert.True(p.KernelCommandLine!.IsAbsent);
        BootConfigExpectation c = Assert.Single(p.BootConfig!);
        Assert.Equal((11, false, 1), (c.Pcr, c.Required, c.Allowed.For((ushort)TpmAlgId.Sha256).Count));

        MeasuredBootPolicy none = BootPolicyJson.Load(Policy(", \"kernelCommandLine\": null, \"bootConfig\": null"));
        Assert.Null(none.KernelCommandLine);
        Assert.Null(none.BootConfig);
    }

    [Theory]
    [InlineData(", \"kernelCommandLine\": {}", "$.kernelCommandLine")]
    [InlineData(", \"kernelCommandLine\": {\"absent\": false}", "$.kernelCommandLine.absent")]
    [InlineData(", \"kernelCommandLine\": {\"absent\": true, \"values\": [\"x\"]}", "$.kernelCommandLine.values")]
    [InlineData(", \"kernelCommandLine\": {\"allowed\": {\"sha256\": []}, \"value\": \"x\"}", "$.kernelCommandLine.value")]
    [InlineData(", \"kernelCommandLine\": {\"allowed\": {\"sha256\": []}, \"values\": [1]}", "$.kernelCommandLine.values[0]")]
    [InlineData(", \"kernelCommandLine\": {\"allowed\": {}}", "$.kernelCommandLine.allowed")]
    [InlineData(", \"bootConfig\": {}", "$.bootConfig")]
    [InlineData(", \"bootConfig\": [{\"pcr\": 24, \"allowed\": {\"sha256\": []}}]", "$.bootConfig[0].pcr")]
    [InlineData(", \"bootConfig\": [{\"pcr\": 8, \"required\": \"yes\", \"allowed\": {\"sha256\": []}}]", "$.bootConfig[0].required")]
    [InlineData(", \"bootConfig\": [{\"pcr\": 8, \"allowed\": {\"sha256\": []}}, {\"pcr\": 8, \"allowed\": {\"sha256\": []}}]", "$.bootConfig[1].pcr")]
    [InlineData(", \"bootConfig\": [{\"pcr\": 8}]", "$.bootConfig[0].allowed")]
    [InlineData(", \"bootConfig\": [{\"pcr\": 8, \"pcrs\": [9], \"allowed\": {\"sha256\": []}}]", "$.bootConfig[0].pcrs")]
    [InlineData(", \"bootConfig\": [{\"pcr\": 8, \"allowed\": {\"sha256\": [\"00\"]}}]", "$.bootConfig[0].allowed.sha256[0]")]
    public void Invalid_kernel_command_line_or_boot_config_is_a_typed_error_naming_the_path(string rest, string path)
    {
        BootPolicyFormatException e = Assert.Throws<BootPolicyFormatException>(() => BootPolicyJson.Load(Policy(rest)));
        Assert.Equal(path, e.Path);
    }
}
