namespace KcryptPush.Tpm.Marshalling;

/// <summary>
/// Malformed TPM 2.0 wire data (TPM 2.0 Part 2 marshalling, big-endian): the one exception
/// every TPM structure parser throws. It carries the byte offset where the reader stood
/// and what it expected there, so a bad quote or response can be located in a hex dump.
/// </summary>
public sealed class TpmFormatException : FormatException
{
    /// <summary>Creates the exception for <paramref name="offset"/>.</summary>
    /// <param name="offset">Byte offset (from the start of the outermost buffer) of the bad field.</param>
    /// <param name="expected">What was expected there, in spec words (e.g. "TPM2B_DIGEST size &lt;= 64").</param>
    public TpmFormatException(int offset, string expected)
        : base($"Malformed TPM data at offset {offset}: expected {expected}.")
    {
        Offset = offset;
        Expected = expected;
    }

    /// <summary>Byte offset of the field that could not be read.</summary>
    public int Offset { get; }

    /// <summary>What the reader expected at <see cref="Offset"/>.</summary>
    public string Expected { get; }
}
