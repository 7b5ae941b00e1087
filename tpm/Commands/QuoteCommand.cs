using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Sessions;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Commands;

/// <summary>What TPM2_Quote returned: the TPMS_ATTEST bytes (the signed message) and the TPMT_SIGNATURE bytes.</summary>
public sealed record TpmQuote(byte[] Attest, byte[] Signature);

/// <summary>
/// TPM2_Quote (TPM 2.0 Part 3 §18.4): handle signHandle (the AK, password); parameters
/// TPM2B_DATA qualifyingData (the nonce), TPMT_SIG_SCHEME inScheme (TPM_ALG_NULL: the key's own
/// scheme, which a restricted key requires), TPML_PCR_SELECTION → TPM2B_ATTEST quoted, TPMT_SIGNATURE.
/// </summary>
public static class QuoteCommand
{
    public static TpmQuote Quote(this TpmCommandChannel tpm, uint signHandle, ReadOnlySpan<byte> nonce, TpmlPcrSelection selection, ReadOnlySpan<byte> keyAuth = default)
    {
        ArgumentNullException.ThrowIfNull(selection);
        if (nonce.Length > TpmLimits.Data)
        {
            throw new ArgumentException($"a quote nonce (TPM2B_DATA) holds at most {TpmLimits.Data} bytes, got {nonce.Length}", nameof(nonce));
        }
        byte[] qualifyingData = nonce.ToArray();
        TpmResponse response = tpm.Execute(new TpmCommand(
            TpmCc.Quote,
            [signHandle],
            [TpmAuthorization.Password(keyAuth)],
            TpmCommand.Params(w =>
            {
                w.WriteTpm2b(qualifyingData);
                w.WriteUInt16((ushort)TpmAlgId.Null);
                selection.Write(w);
            })));
        var r = new TpmReader(response.Parameters);
        byte[] attest = r.ReadTpm2b("TPM2B_ATTEST quoted").ToArray();
        byte[] signature = r.RemainingSpan.ToArray();
        TpmtSignature.Parse(signature); // checks the TPMT_SIGNATURE is well formed and complete
        return new TpmQuote(attest, signature);
    }
}
