namespace KcryptPush.Contracts.V1;

/// <summary>Operator → verifier: AK policy <c>learn</c> (accept the next AK the registrar enrols for this TPM hash), <c>enforce</c> or <c>skip</c>.</summary>
public sealed record SetAkPolicy(string TpmHash, string Mode, string Operator);
