namespace KcryptPush.Contracts.V1;

/// <summary>The PCRs of one bank a quote must cover.</summary>
/// <param name="Bank">Bank name: <c>sha1</c>, <c>sha256</c>, <c>sha384</c>, <c>sha512</c> or <c>sm3_256</c>.</param>
/// <param name="Pcrs">PCR indexes, ascending, each 0..23.</param>
public sealed record PcrBankSelection(string Bank, int[] Pcrs);
