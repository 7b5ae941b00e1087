using KcryptPush.Contracts.Text;

namespace KcryptPush.Agent.Cli;

/// <summary>
/// The agent's durations (<c>--interval</c>, <c>--timeout</c>, <c>KCRYPTPUSH_INTERVAL</c>): the one grammar
/// of <see cref="Durations"/>, shared with the verifier so both read the same <c>--interval</c> alike.
/// </summary>
internal static class Duration
{
    public static bool TryParse(string? text, out TimeSpan value) => Durations.TryParse(text, out value);
}
