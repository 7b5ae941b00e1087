using System.Security.Cryptography;
using System.Text;
using KcryptPush.Attestation.BootPolicy;
using KcryptPush.Verifier.Attestation;
using KcryptPush.Verifier.Cli;
using KcryptPush.Verifier.Policies;

namespace KcryptPush.Verifier.Hosting;

/// <summary>The fleet's default measured-boot policy (<c>Verifier:DefaultBootPolicy</c>) could not be loaded: the service does not start.</summary>
public sealed class DefaultBootPolicyException(string message) : Exception(message);

/// <summary>
/// Loads <see cref="VerifierOptions.DefaultBootPolicy"/> when the service starts: a file made by
/// <c>policy create</c>, read and validated like <c>policy run</c> reads one. Anything wrong (missing,
/// unreadable, too large, not a valid policy) is a <see cref="DefaultBootPolicyException"/> naming the key,
/// the path and the problem, so the service stops instead of attesting without the policy it was given.
/// </summary>
public static class DefaultBootPolicyLoader
{
    /// <summary>The configuration key.</summary>
    public const string Key = "Verifier:DefaultBootPolicy";

    /// <summary>The default policy, or null when none is configured.</summary>
    /// <exception cref="DefaultBootPolicyException">The configured file cannot be loaded.</exception>
    public static DefaultBootPolicy? Load(VerifierOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.DefaultBootPolicy is not { } path)
        {
            return null;
        }

        try
        {
            MeasuredBootPolicy policy = PolicyFile.Load(path, out string text);
            return new DefaultBootPolicy(policy, Path.GetFullPath(path), Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text))));
        }
        catch (CliInputException e)
        {
            throw new DefaultBootPolicyException($"{Key}: {e.Message}");
        }
    }
}
