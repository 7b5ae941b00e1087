using System.Globalization;

namespace KcryptPush.Tpm.Errors;

/// <summary>Which kind of item a format-1 response code points at (TPM 2.0 Part 2 §6.6.2, Table 13).</summary>
public enum TpmRcSubject
{
    /// <summary>Not a format-1 code, or the TPM did not say (N = 0).</summary>
    None,
    Parameter,
    Handle,
    Session,
}

/// <summary>
/// A decoded TPM_RC (TPM 2.0 Part 2 §6.6.2 Tables 12 and 13). Bit 7 set: format 1, E = bits 5:0
/// and the canonical code is 0x080|E; bit 6 then says "parameter number in bits 11:8", otherwise
/// bit 11 says "session number in bits 10:8", otherwise bits 10:8 are a handle number. Bit 7
/// clear: format 0; bit 8 set is a TPM 2.0 code (E = bits 6:0; bit 11 warning, bit 10 vendor),
/// bit 8 clear is a TPM 1.2 code.
/// </summary>
public readonly record struct TpmResponseCode
{
    private const uint Format1Bit = 0x080;
    private const uint ParameterBit = 0x040;
    private const uint Version1Bit = 0x100;
    private const uint VendorBit = 0x400;
    private const uint WarningBit = 0x800;

    public TpmResponseCode(uint raw)
    {
        Raw = raw;
        if ((raw & Format1Bit) != 0)
        {
            IsFormat1 = true;
            Code = (TpmRc)(Format1Bit | (raw & 0x3F));
            if ((raw & ParameterBit) != 0)
            {
                Subject = TpmRcSubject.Parameter;
                Number = (int)((raw >> 8) & 0xF);
            }
            else if ((raw & WarningBit) != 0)
            {
                Subject = TpmRcSubject.Session;
                Number = (int)((raw >> 8) & 0x7);
            }
            else
            {
                Subject = TpmRcSubject.Handle;
                Number = (int)((raw >> 8) & 0x7);
            }
            if (Number == 0)
            {
                Subject = TpmRcSubject.None;
            }
        }
        else if (raw == 0)
        {
            Code = TpmRc.Success;
        }
        else if ((raw & Version1Bit) == 0)
        {
            IsTpm12 = true;
            Code = (TpmRc)raw;
        }
        else if ((raw & VendorBit) != 0)
        {
            IsVendor = true;
            Code = (TpmRc)raw;
        }
        else
        {
            IsWarning = (raw & WarningBit) != 0;
            Code = (TpmRc)((raw & 0x7F) | (IsWarning ? 0x900u : Version1Bit));
        }
    }

    /// <summary>The 32-bit value the TPM returned.</summary>
    public uint Raw { get; }

    /// <summary>The canonical code, with parameter/handle/session numbers removed.</summary>
    public TpmRc Code { get; }

    public bool IsSuccess => Raw == 0;

    public bool IsFormat1 { get; }

    /// <summary>A format-0 warning (0x900 base): the command did not run and may be retried.</summary>
    public bool IsWarning { get; }

    /// <summary>A TPM 2.0 format-0 code with the vendor bit (bit 10) set.</summary>
    public bool IsVendor { get; }

    /// <summary>A TPM 1.2 response code (format 0 with bit 8 clear).</summary>
    public bool IsTpm12 { get; }

    /// <summary>What <see cref="Number"/> counts (a parameter, handle or session), or None.</summary>
    public TpmRcSubject Subject { get; }

    /// <summary>The 1-based parameter, handle or session number; 0 when unspecified.</summary>
    public int Number { get; }

    /// <summary>The spec name of <see cref="Code"/>, e.g. <c>TPM_RC_POLICY_FAIL</c>.</summary>
    public string Name
    {
        get
        {
            if (IsTpm12)
            {
                return string.Create(CultureInfo.InvariantCulture, $"TPM 1.2 response code 0x{Raw:X}");
            }
            if (IsVendor)
            {
                return string.Create(CultureInfo.InvariantCulture, $"TPM vendor-specific code 0x{Raw:X}");
            }
            return TpmRcNames.NameOf(Code);
        }
    }

    /// <summary>E.g. "TPM_RC_POLICY_FAIL (session 2)", "TPM_RC_VALUE (parameter 1)", "TPM_RC_RETRY".</summary>
    public override string ToString()
    {
        string where = Subject switch
        {
            TpmRcSubject.Parameter => string.Create(CultureInfo.InvariantCulture, $" (parameter {Number})"),
            TpmRcSubject.Handle => string.Create(CultureInfo.InvariantCulture, $" (handle {Number})"),
            TpmRcSubject.Session => string.Create(CultureInfo.InvariantCulture, $" (session {Number})"),
            _ => string.Empty,
        };
        return Name + where;
    }
}
