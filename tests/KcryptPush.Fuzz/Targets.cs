using System.Text.Json;
using KcryptPush.Attestation.BootPolicy;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.EventLog.Decoding;
using KcryptPush.Attestation.Evidence;
using KcryptPush.Attestation.Quotes;
using KcryptPush.Attestation.Replay;
using KcryptPush.Contracts.V1;
using KcryptPush.Messaging;
using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;
using KcryptPush.Verifier.Attestation;
using MassTransit.Serialization;

namespace KcryptPush.Fuzz;

/// <summary>
/// The fuzz targets, one per input kind. Each takes the raw input and runs what the verifier runs
/// on such bytes. The typed exceptions a parser documents for bad input are caught here (and
/// counted as a normal run); anything else escapes and is a crash for afl-fuzz. A result that is
/// wrong (a parsed structure that does not marshal back to the bytes it came from) is thrown as
/// <see cref="FuzzInvariantException"/>, also a crash.
/// </summary>
internal static class Targets
{
    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new Dictionary<string, Action<byte[]>>(StringComparer.Ordinal)
    {
        ["eventlog"] = EventLog,
        ["attest"] = Attest,
        ["signature"] = Signature,
        ["public"] = Public,
        ["message"] = Message,
    };

    // Created on first use, inside the fuzz loop: code of an instrumented assembly (VerifierOptions'
    // constructor) that runs before Fuzzer.OutOfProcess.Run has mapped AFL's coverage map throws
    // a NullReferenceException, so nothing instrumented may run in a static initializer here.
    private static JsonSerializerOptions? _webDefaults;
    private static VerifierOptions? _verifierDefaults;

    /// <summary>EventLogParser.Parse, then what the verifier and its CLI run on a parsed log: every
    /// event decoded (eventlog show), replay (eventlog replay, the pipeline), the digest check, replay
    /// verification against the log's own replayed values, and a boot policy made from the log and
    /// evaluated against it (policy create / policy run, MeasuredBootNodePolicy).</summary>
    public static void EventLog(byte[] input)
    {
        ParsedEventLog log;
        try
        {
            log = EventLogParser.Parse(input);
        }
        catch (EventLogFormatException)
        {
            return;
        }

        foreach (UntrustedEvent e in log.UntrustedEvents)
        {
            // Documented: never throws for any input (a malformed body is an UndecodableEvent).
            DecodedEvent decoded = EventDecoder.Decode(e);
            _ = decoded.Summary;
            _ = e.TypeName;
            foreach (UntrustedDigest d in e.Digests)
            {
                _ = d.BankName;
            }
        }

        ReplayResult replayed = EventLogReplayer.Replay(log);
        _ = EventLogReplayer.FindPcr0Locality(log.UntrustedEvents);
        IReadOnlyList<DigestMismatch> edited = EventDigestChecker.Check(log);
        var actual = new Dictionary<TpmAlgId, IReadOnlyDictionary<int, byte[]>>();
        foreach (ReplayedBank bank in replayed.Banks)
        {
            actual[(TpmAlgId)bank.AlgorithmId] = bank.Pcrs;
        }
        ReplayVerification verification = ReplayVerifier.Verify(log, replayed, actual);
        if (verification.Mismatches.FirstOrDefault() is { } mismatch)
        {
            // Checked against the values it replays to itself, a log cannot mismatch.
            throw new FuzzInvariantException($"the log mismatches its own replay: {mismatch.Bank} PCR {mismatch.Pcr}");
        }

        // Default options: the bank is PolicyBanks.Preferred(log), always one the log carries, so
        // the documented ArgumentException (a requested bank is not in the log) cannot apply.
        MeasuredBootPolicy policy = BootPolicyFactory.Create(log);
        VerifiedEventLog self = EvidenceVerifier.SelfReplay(log).Log;
        _ = BootPolicyEvaluator.PcrsRead(policy, self);
        BootPolicyEvaluation evaluation = BootPolicyEvaluator.Evaluate(policy, self);
        if (evaluation.Failures.FirstOrDefault() is { } failure && edited.Count == 0 && EveryEventHasEveryBank(log))
        {
            // BootPolicyFactory: "Evaluating the policy against the same log passes." Asserted only for
            // a log a firmware could have written: every digest the spec defines over the data covers
            // it, and every event carries every bank (a log with edited digests makes a policy that its
            // own log fails, by design: the rules trust only data that the digests cover).
            throw new FuzzInvariantException(
                $"the policy made from the log fails on it: {failure.Rule}: expected {failure.Expected}, found {failure.Found}");
        }
    }

    /// <summary>TpmsAttest.Parse; a parsed TPMS_ATTEST marshals back to the same bytes; then the
    /// quote checks of QuoteVerifier with the real AK and signature.</summary>
    public static void Attest(byte[] input)
    {
        TpmsAttest attest;
        try
        {
            attest = TpmsAttest.Parse(input);
        }
        catch (TpmFormatException)
        {
            return;
        }

        RoundTrip("TPMS_ATTEST", input, attest.ToArray());
        _ = attest.Quote?.PcrSelect.ToString();
        RealQuote q = RealQuote.Instance;
        _ = q.Verifier.Verify(input, q.Signature, q.Nonce, q.Selection, q.Pcrs, q.QualifiedSigner);
    }

    /// <summary>TpmtSignature.Parse; a parsed TPMT_SIGNATURE marshals back to the same bytes; then
    /// QuoteVerifier with the real AK and quote.</summary>
    public static void Signature(byte[] input)
    {
        TpmtSignature signature;
        try
        {
            signature = TpmtSignature.Parse(input);
        }
        catch (TpmFormatException)
        {
            return;
        }

        RoundTrip("TPMT_SIGNATURE", input, signature.ToArray());
        RealQuote q = RealQuote.Instance;
        _ = q.Verifier.Verify(q.Attest, input, q.Nonce, q.Selection, q.Pcrs, q.QualifiedSigner);
    }

    /// <summary>The input as a TPMT_PUBLIC and as a TPM2B_PUBLIC; each parsed key goes through the
    /// QuoteVerifier constructor (which turns every key problem into a finding) and verifies the
    /// real quote.</summary>
    public static void Public(byte[] input)
    {
        foreach (Func<byte[], TpmtPublic> parse in new Func<byte[], TpmtPublic>[] { b => TpmtPublic.Parse(b), b => Tpm2bPublic.Parse(b) })
        {
            TpmtPublic key;
            try
            {
                key = parse(input);
            }
            catch (TpmFormatException)
            {
                continue;
            }

            _ = key.GetBytes().Length;
            try
            {
                _ = key.ComputeName();
            }
            catch (NotSupportedException)
            {
                // Documented: nameAlg NULL or a hash this process cannot compute.
            }

            RealQuote q = RealQuote.Instance;
            using var verifier = new QuoteVerifier(key);
            _ = verifier.AkFindings.Count;
            _ = verifier.Verify(q.Attest, q.Signature, q.Nonce, q.Selection, q.Pcrs);
        }
    }

    /// <summary>A QuoteSubmitted JSON payload deserialised as the bus does (MassTransit's
    /// SystemTextJsonMessageSerializer options, and System.Text.Json's web defaults), then
    /// AttestationPipeline.Validate with the default VerifierOptions.</summary>
    public static void Message(byte[] input)
    {
        _webDefaults ??= new JsonSerializerOptions(JsonSerializerDefaults.Web);
        _verifierDefaults ??= new VerifierOptions();
        foreach (JsonSerializerOptions options in new[] { SystemTextJsonMessageSerializer.Options, _webDefaults })
        {
            QuoteSubmitted? message;
            try
            {
                message = JsonSerializer.Deserialize<QuoteSubmitted>(input, options);
            }
            catch (JsonException)
            {
                continue;
            }

            if (message is null)
            {
                continue; // the JSON literal null
            }

            try
            {
                TpmtPublic? releaseKey = AttestationPipeline.Validate(message, _verifierDefaults);
                _ = releaseKey?.GetBytes().Length;
            }
            catch (MessageValidationException)
            {
            }
        }
    }

    private static bool EveryEventHasEveryBank(ParsedEventLog log) =>
        log.UntrustedEvents.All(e => e.EventType == TcgEventType.EV_NO_ACTION || e.Digests.Length == log.Banks.Count);

    private static void RoundTrip(string what, byte[] input, byte[] written)
    {
        if (!written.AsSpan().SequenceEqual(input))
        {
            throw new FuzzInvariantException(
                $"{what} parsed from {Convert.ToHexStringLower(input)} marshals back to {Convert.ToHexStringLower(written)}");
        }
    }
}

/// <summary>A parser accepted input but its result is wrong: a crash for the fuzzer.</summary>
internal sealed class FuzzInvariantException(string message) : Exception(message);
