using System.CommandLine;
using KcryptPush.Agent.Cleanup;

namespace KcryptPush.Agent.Cli;

/// <summary><c>kcrypt-push-agent cleanup --nv-index 0x1500000 [--tpm URI] [--i-know-what-i-am-doing]</c>.</summary>
internal static class CleanupCommand
{
    /// <summary>kcrypt-challenger's default index for the local passphrase flow.</summary>
    public const string DefaultNvIndex = "0x1500000";

    public static Command Create()
    {
        Option<string> tpm = AgentOptions.Tpm();
        var index = new Option<string>("--nv-index")
        {
            Description = "the owner NV index to undefine (hex, default 0x1500000, kcrypt's local passphrase index)",
            DefaultValueFactory = _ => DefaultNvIndex,
        };
        var force = new Option<bool>("--i-know-what-i-am-doing")
        {
            Description = "do not ask for 'yes' (DANGEROUS: a disk whose passphrase lives there may not unlock again)",
        };
        var command = new Command("cleanup",
            "Show an owner NV index (TPM2_NV_ReadPublic) and undefine it after typing 'yes' (TPM2_NV_UndefineSpace, owner auth). "
            + "Refuses TCG-defined indexes (0x01C00000+: EK certificates, templates, policies) and platform-created ones (the owner cannot delete them). "
            + "Exit 0 deleted, 1 refused/aborted/failed, 2 bad input")
        {
            tpm,
            index,
            force,
        };
        command.SetAction(parse => NvCleanup.Run(
            parse.GetValue(tpm) ?? AgentOptions.DefaultTpm, parse.GetValue(index) ?? DefaultNvIndex, parse.GetValue(force), Console.In, Console.Out, Console.Error));
        return command;
    }
}
