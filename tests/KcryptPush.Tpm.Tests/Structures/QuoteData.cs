namespace KcryptPush.Tpm.Tests.Structures;

/// <summary>The real TPM 2.0 quote files in testdata/quotes.</summary>
internal static class QuoteData
{
    public static IEnumerable<string> Files(string pattern) =>
        Directory.GetFiles(RepoPaths.Quotes, pattern).Order(StringComparer.Ordinal);

    public static byte[] Read(string name) => File.ReadAllBytes(Path.Combine(RepoPaths.Quotes, name));
}
