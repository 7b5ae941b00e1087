using KcryptPush.Attestation.EventLog;
using KcryptPush.Tpm.Client;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Integration.Tests.Fixtures;

/// <summary>
/// Makes a swtpm look like the machine a real event log came from: every measured event of the
/// log is extended (TPM2_PCR_Extend) into the banks both the log and the verifier's challenge use,
/// so quote and log agree. swtpm starts at locality 0, so only logs without a StartupLocality
/// event fit. Also writes edited copies of a log whose edits stay consistent with the PCRs.
/// </summary>
public static class EventLogSeeder
{
    /// <summary>The banks extended (the verifier's default challenge banks).</summary>
    public static readonly TpmAlgId[] Banks = [TpmAlgId.Sha1, TpmAlgId.Sha256];

    /// <summary>Extends every event of <paramref name="log"/> into <paramref name="tpm"/>.</summary>
    public static void Seed(SwtpmInstance tpm, byte[] log)
    {
        ParsedEventLog parsed = EventLogParser.Parse(log);
        if (parsed.UntrustedEvents.Any(e => e.EventType == TcgEventType.EV_NO_ACTION && e.Data.Span.StartsWith("StartupLocality"u8)))
        {
            throw new ArgumentException("the log has a StartupLocality event: swtpm starts at locality 0 and cannot reproduce PCR 0", nameof(log));
        }

        using TpmClient client = TpmClient.Open(tpm.TpmUri);
        foreach (UntrustedEvent e in parsed.UntrustedEvents)
        {
            if (e.EventType == TcgEventType.EV_NO_ACTION || e.PcrIndex > 23)
            {
                continue;
            }

            foreach (TpmAlgId bank in Banks)
            {
                if (e.TryGetDigest((ushort)bank, out ReadOnlyMemory<byte> digest))
                {
                    client.ExtendPcr((int)e.PcrIndex, bank, digest.ToArray());
                }
            }
        }
    }

    /// <summary>Extends one digest that no log event accounts for (broken evidence).</summary>
    public static void ExtendUnlogged(SwtpmInstance tpm, int pcr)
    {
        using TpmClient client = TpmClient.Open(tpm.TpmUri);
        client.ExtendPcr(pcr, TpmAlgId.Sha256, System.Security.Cryptography.SHA256.HashData("not in the log"u8));
        client.ExtendPcr(pcr, TpmAlgId.Sha1, System.Security.Cryptography.SHA1.HashData("not in the log"u8));
    }

    /// <summary>
    /// A copy of <paramref name="log"/> where the first event of <paramref name="type"/> carries
    /// other digests (every bank): a different boot application, logged consistently.
    /// </summary>
    public static (byte[] Log, UntrustedEvent Event) WithChangedDigest(byte[] log, TcgEventType type)
    {
        ParsedEventLog parsed = EventLogParser.Parse(log);
        UntrustedEvent target = parsed.UntrustedEvents.First(e => e.EventType == type);
        byte[] copy = (byte[])log.Clone();
        foreach (UntrustedDigest d in target.Digests)
        {
            int at = copy.AsSpan(target.Offset, target.Length).IndexOf(d.Digest.Span);
            if (at < 0)
            {
                throw new InvalidOperationException($"digest of event #{target.Index} not found in its record");
            }

            for (int i = 0; i < d.Digest.Length; i++)
            {
                copy[target.Offset + at + i] ^= 0x5A;
            }
        }

        return (copy, target);
    }
}
