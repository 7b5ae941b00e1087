namespace KcryptPush.Attestation.BootPolicy;

/// <summary>What the log says about Secure Boot: the EFI_GLOBAL_VARIABLE SecureBoot measurement
/// (EV_EFI_VARIABLE_DRIVER_CONFIG, PCR 7; PFP §3.3.4.8 and §10.4.4).</summary>
public enum SecureBootState
{
    /// <summary>SecureBoot measured with the single byte 01.</summary>
    Enabled,

    /// <summary>SecureBoot measured with any other value, including VariableDataLength 0 (the
    /// variable does not exist, as on firmware in setup mode or without Secure Boot support).</summary>
    Disabled,

    /// <summary>The log has no SecureBoot measurement on PCR 7 at all (e.g. BIOS or TPM 1.2 era logs).</summary>
    NotMeasured,
}

/// <summary>JSON names of <see cref="SecureBootState"/>.</summary>
public static class SecureBootStates
{
    /// <summary>"enabled", "disabled" or "not-measured".</summary>
    public static string Name(SecureBootState state) => state switch
    {
        SecureBootState.Enabled => "enabled",
        SecureBootState.Disabled => "disabled",
        _ => "not-measured",
    };

    /// <summary>Parses a JSON name.</summary>
    public static bool TryParse(string text, out SecureBootState state)
    {
        switch (text)
        {
            case "enabled": state = SecureBootState.Enabled; return true;
            case "disabled": state = SecureBootState.Disabled; return true;
            case "not-measured": state = SecureBootState.NotMeasured; return true;
            default: state = default; return false;
        }
    }
}
