namespace KcryptPush.Verifier.Cli;

internal static class Hex
{
    public static string Lower(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);
}
