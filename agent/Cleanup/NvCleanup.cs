using KcryptPush.Tpm.Client;
using KcryptPush.Tpm.Commands;
using KcryptPush.Tpm.Errors;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Transport;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Agent.Cleanup;

/// <summary>
/// Removes an NV index left by kcrypt's local passphrase flow: TPM2_NV_ReadPublic (Part 3 §31.6)
/// shows what the index holds, an operator types <c>yes</c>, then TPM2_NV_UndefineSpace (Part 3
/// §31.4) with owner authorization (empty password). Refuses anything outside the owner range,
/// platform-created indexes (the owner cannot delete them) and POLICY_DELETE indexes (they need
/// TPM2_NV_UndefineSpaceSpecial).
/// </summary>
public static class NvCleanup
{
    /// <summary>Runs the cleanup; returns the exit code (0 deleted, 1 refused/aborted/failed, 2 bad input).</summary>
    public static int Run(string tpmUri, string indexText, bool skipPrompt, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(stdin);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (!NvIndexRange.TryParse(indexText, out uint index))
        {
            stderr.WriteLine($"kcrypt-push-agent: invalid --nv-index '{indexText}': expected a hex NV index such as 0x1500000");
            return 2;
        }

        if (NvIndexRange.Refusal(index) is { } refusal)
        {
            stderr.WriteLine($"kcrypt-push-agent: refusing: {refusal}");
            return 2;
        }

        try
        {
            using TpmClient client = TpmClient.Open(tpmUri);
            TpmNvReadPublicResult nv;
            try
            {
                nv = client.Channel.NvReadPublic(index);
            }
            catch (TpmException e)
            {
                stderr.WriteLine($"kcrypt-push-agent: NV index 0x{index:x8} is not defined ({e.Message.ReplaceLineEndings(" ")})");
                return 1;
            }

            Describe(stdout, nv);
            if (nv.Public.Attributes.HasFlag(TpmaNv.PlatformCreate))
            {
                stderr.WriteLine($"kcrypt-push-agent: refusing: 0x{index:x8} was created by the platform (TPMA_NV_PLATFORMCREATE); the owner cannot undefine it");
                return 1;
            }

            if (nv.Public.Attributes.HasFlag(TpmaNv.PolicyDelete))
            {
                stderr.WriteLine($"kcrypt-push-agent: refusing: 0x{index:x8} has TPMA_NV_POLICY_DELETE and can only be removed with TPM2_NV_UndefineSpaceSpecial");
                return 1;
            }

            if (!skipPrompt)
            {
                stdout.WriteLine("WARNING: if this index holds the passphrase of an encrypted disk, that disk may not unlock again.");
                stdout.Write($"Type yes to undefine NV index 0x{index:x8}: ");
                stdout.Flush();
                string? answer = stdin.ReadLine();
                if (!string.Equals(answer?.Trim(), "yes", StringComparison.Ordinal))
                {
                    stdout.WriteLine();
                    stderr.WriteLine("kcrypt-push-agent: aborted, nothing deleted");
                    return 1;
                }
            }

            client.Channel.NvUndefineSpace(index, TpmHandle.RhOwner);
            stdout.WriteLine($"NV index 0x{index:x8} undefined");
            return 0;
        }
        catch (Exception e) when (e is TpmException or TpmTransportException or TpmProtocolException or KcryptPush.Tpm.Marshalling.TpmFormatException or InvalidTpmUriException)
        {
            stderr.WriteLine($"kcrypt-push-agent: cleanup of 0x{index:x8} failed: {e.Message.ReplaceLineEndings(" ")}");
            return 1;
        }
    }

    private static void Describe(TextWriter stdout, TpmNvReadPublicResult nv)
    {
        TpmsNvPublic p = nv.Public;
        uint type = ((uint)p.Attributes & (uint)TpmaNv.TypeMask) >> 4;
        string flags = string.Join(" ", Enum.GetValues<TpmaNv>()
            .Where(f => f is not TpmaNv.None and not TpmaNv.TypeMask && p.Attributes.HasFlag(f))
            .Select(f => f.ToString()));
        stdout.WriteLine($"NV index:   0x{p.NvIndex:x8}");
        stdout.WriteLine($"size:       {p.DataSize} bytes");
        stdout.WriteLine($"type:       {type switch { 0 => "ordinary", 1 => "counter", 2 => "bits", 4 => "extend", 8 => "pin fail", 9 => "pin pass", _ => $"0x{type:x}" }}");
        stdout.WriteLine($"attributes: 0x{(uint)p.Attributes:x8} {flags}");
        stdout.WriteLine($"name alg:   {p.NameAlg}");
        stdout.WriteLine($"name:       {Convert.ToHexStringLower(nv.Name)}");
    }
}
