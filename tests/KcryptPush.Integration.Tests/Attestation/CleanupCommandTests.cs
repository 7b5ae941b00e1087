using KcryptPush.Agent.Cleanup;
using KcryptPush.Integration.Tests.Fixtures;

namespace KcryptPush.Integration.Tests.Attestation;

/// <summary><c>kcrypt-push-agent cleanup</c> against a swtpm, with NV indexes defined by tpm2-tools.</summary>
[Trait("Category", "Integration")]
public sealed class CleanupCommandTests(SwtpmClassFixture f) : IClassFixture<SwtpmClassFixture>
{
    [Theory]
    [InlineData(0x01000000u, true)]
    [InlineData(0x01500000u, true)]
    [InlineData(0x01BFFFFFu, true)]
    [InlineData(0x01C00000u, false)]
    [InlineData(0x01C00002u, false)]
    [InlineData(0x01C0000Au, false)]
    [InlineData(0x01C07F01u, false)]
    [InlineData(0x01FFFFFFu, false)]
    [InlineData(0x00FFFFFFu, false)]
    [InlineData(0x81010001u, false)]
    public void TCG_defined_indexes_and_non_NV_handles_are_refused_by_handle(uint index, bool allowed) =>
        Assert.Equal(allowed, NvIndexRange.Refusal(index) is null);

    [Fact]
    public void The_kcrypt_default_index_0x1500000_parses_and_may_be_cleaned_up() =>
        Assert.True(NvIndexRange.TryParse("0x1500000", out uint i) && i == 0x01500000 && NvIndexRange.Refusal(i) is null);

    [Fact]
    public void Shows_the_index_and_undefines_it_only_after_yes()
    {
        const string index = "0x1500010";
        f.Tools.Run("nvdefine", index, "-C", "o", "-s", "32", "-a", "ownerread|ownerwrite|authread|authwrite");

        var aborted = Cleanup(index, "no\n", skip: false);
        Assert.Equal(1, aborted.Code);
        Assert.Contains("size:       32 bytes", aborted.Out, StringComparison.Ordinal);
        Assert.Contains("OwnerWrite", aborted.Out, StringComparison.Ordinal);
        Assert.Contains("Type yes", aborted.Out, StringComparison.Ordinal);
        Assert.Equal(0, f.Tools.TryRun("nvreadpublic", index).ExitCode);

        var deleted = Cleanup(index, "yes\n", skip: false);
        Assert.True(deleted.Code == 0, deleted.Err);
        Assert.NotEqual(0, f.Tools.TryRun("nvreadpublic", index).ExitCode);

        var again = Cleanup(index, "yes\n", skip: false);
        Assert.Equal(1, again.Code);
        Assert.Contains("not defined", again.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void The_flag_skips_the_prompt()
    {
        const string index = "0x1500011";
        f.Tools.Run("nvdefine", index, "-C", "o", "-s", "8", "-a", "ownerread|ownerwrite");
        var deleted = Cleanup(index, string.Empty, skip: true);
        Assert.True(deleted.Code == 0, deleted.Err);
        Assert.DoesNotContain("Type yes", deleted.Out, StringComparison.Ordinal);
        Assert.NotEqual(0, f.Tools.TryRun("nvreadpublic", index).ExitCode);
    }

    [Fact]
    public void The_EK_certificate_index_is_refused_and_stays()
    {
        var refused = Cleanup("0x01c00002", "yes\n", skip: true);
        Assert.Equal(2, refused.Code);
        Assert.Contains("TCG-defined", refused.Err, StringComparison.Ordinal);
        Assert.Equal(0, f.Tools.TryRun("nvreadpublic", "0x01c00002").ExitCode);
    }

    [Fact]
    public void The_command_line_runs_it_too()
    {
        ProcessResult r = ProcessRunner.Run("dotnet", [KcryptPushBinaries.Agent, "cleanup", "--nv-index", "0x1C00016", "--tpm", f.Tpm.TpmUri], stdin: "yes\n");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("refusing", r.StdErr, StringComparison.Ordinal);
    }

    private (int Code, string Out, string Err) Cleanup(string index, string stdin, bool skip)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = NvCleanup.Run(f.Tpm.TpmUri, index, skip, new StringReader(stdin), output, error);
        return (code, output.ToString(), error.ToString());
    }
}
