namespace KcryptPush.Contracts.V1;

/// <summary>The PCR values of one bank as the agent read them with TPM2_PCR_Read.</summary>
/// <param name="Bank">Bank name, as in <see cref="PcrBankSelection.Bank"/>.</param>
/// <param name="Values">PCR index → digest (base64 on the wire; JSON object keys are the decimal index).</param>
public sealed record PcrBankValues(string Bank, IReadOnlyDictionary<int, byte[]> Values);
