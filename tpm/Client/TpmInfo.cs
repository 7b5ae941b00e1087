using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Client;

/// <summary>
/// What a TPM says about itself (TPM_CAP_TPM_PROPERTIES and TPM_CAP_PCRS): the manufacturer's
/// 4-character id (e.g. "IBM"), the vendor strings, the firmware version as the two 32-bit
/// TPM_PT_FIRMWARE_VERSION words in hex ("20191023.00163636"), the spec revision and the
/// PCR banks that have PCRs allocated.
/// </summary>
public sealed record TpmInfo(
    string Manufacturer,
    string VendorString,
    string Firmware,
    uint FirmwareVersion1,
    uint FirmwareVersion2,
    uint SpecRevision,
    IReadOnlyList<TpmAlgId> Banks);
