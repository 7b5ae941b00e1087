namespace KcryptPush.Attestation.Evidence;

/// <summary>The attestation key a node enrolled with, as the registrar recorded it.</summary>
/// <param name="Public">Its TPMT_PUBLIC bytes (TPM 2.0 Part 2 §12.2.4).</param>
/// <param name="Name">Its Name: nameAlg ‖ H_nameAlg(TPMT_PUBLIC) (TPM 2.0 Part 1 §16).</param>
public sealed record EnrolledAk(byte[] Public, byte[] Name);
