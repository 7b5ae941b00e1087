using KcryptPush.Integration.Tests.Fixtures;

namespace KcryptPush.Integration.Tests;

[Trait("Category", "Integration")]
public sealed class SwtpmFixtureTests
{
    [Fact]
    public void A_started_swtpm_answers_tpm2_tools_and_holds_a_provisioned_rsa_ek_certificate()
    {
        using SwtpmInstance tpm = SwtpmInstance.Start();
        using var tools = new Tpm2Tools(tpm);

        ProcessResult nv = tools.Run("nvreadpublic");

        Assert.Contains("0x1c00002", nv.StdOut, StringComparison.Ordinal);
        Assert.Contains("0x1c00016", nv.StdOut, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(tpm.EkCaDirectory, "root.pem")));
    }
}
