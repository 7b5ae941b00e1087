using KcryptPush.Tpm.Sessions;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Commands;

/// <summary>
/// TPM2_PCR_Extend (TPM 2.0 Part 3 §22.2): handle pcrHandle (the PCR number, password);
/// parameter TPML_DIGEST_VALUES. Each bank becomes <c>H(old‖digest)</c>.
/// </summary>
public static class PcrExtendCommand
{
    public static void PcrExtend(this TpmCommandChannel tpm, int pcr, params TpmtHa[] digests)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pcr);
        var list = new TpmlDigestValues(digests);
        tpm.Execute(new TpmCommand(TpmCc.PcrExtend, [(uint)pcr], [TpmAuthorization.Password()], TpmCommand.Params(list.Write)));
    }
}
