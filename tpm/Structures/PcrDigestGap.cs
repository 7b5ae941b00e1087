using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Structures;

/// <summary>A selected PCR whose value <see cref="PcrDigest"/> lacks: none was given
/// (<paramref name="Missing"/>), or one not of its bank's digest size.</summary>
/// <param name="Selection">Index of its TPMS_PCR_SELECTION in the TPML_PCR_SELECTION.</param>
/// <param name="Bank">The bank.</param>
/// <param name="Pcr">The PCR index.</param>
/// <param name="Missing">True when no value was given; false when the value has the wrong size.</param>
public readonly record struct PcrDigestGap(int Selection, TpmAlgId Bank, int Pcr, bool Missing);
