namespace KcryptPush.Attestation.EventLog;

/// <summary>Which record layout a TCG PC Client event log uses.</summary>
public enum EventLogFormat
{
    /// <summary>TCG_PCR_EVENT records only, one SHA-1 digest each (TPM 1.2 logs and old TPM 2.0
    /// firmware; TCG PC Client PFP §10.2.1 "SHA1 Event Log Entry Format").</summary>
    Sha1Legacy,

    /// <summary>A TCG_PCR_EVENT header record holding TCG_EfiSpecIdEvent ("Spec ID Event03")
    /// followed by TCG_PCR_EVENT2 records (PFP §10.2.2 "Crypto Agile Log Entry Format").</summary>
    CryptoAgile,
}
