using System.Buffers.Binary;
using System.Diagnostics;
using KcryptPush.Attestation.Quotes;
using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Structures;
using Xunit.Abstractions;

namespace KcryptPush.Attestation.Tests.Quotes;

/// <summary>
/// Mutations of the real quotes' TPMS_ATTEST, TPMT_SIGNATURE and TPMT_PUBLIC: truncation at every
/// length, every single bit flipped, and at every offset a UINT16 set to 0x0000, 0xFFFF and
/// "one more than what remains", and a UINT32 set to 0xFFFFFFFF and 0x80000000 (which hits every
/// TPM2B size and list count). Every case must end in a parse or a TpmFormatException; a parsed
/// case must verify without throwing; a changed attest or signature must never pass; no case may
/// take a second.
/// </summary>
[Trait("Category", "Unit")]
public class QuoteMutationTests(ITestOutputHelper output)
{
    private static readonly TimeSpan CaseLimit = TimeSpan.FromSeconds(1);

    public static TheoryData<string> QuoteIds() => new(RealQuote.All.Select(q => q.Id));

    /// <summary>All mutants of <paramref name="original"/> that differ from it.</summary>
    public static IEnumerable<byte[]> Mutants(byte[] original)
    {
        for (int length = 0; length < original.Length; length++)
        {
            yield return original[..length];
        }

        for (int bit = 0; bit < original.Length * 8; bit++)
        {
            byte[] m = (byte[])original.Clone();
            m[bit >> 3] ^= (byte)(1 << (bit & 7));
            yield return m;
        }

        for (int at = 0; at + 2 <= original.Length; at++)
        {
            foreach (ushort v in new ushort[] { 0x0000, 0xFFFF, (ushort)Math.Min(original.Length - at - 1, ushort.MaxValue) })
            {
                byte[] m = (byte[])original.Clone();
                BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(at), v);
                if (!m.AsSpan().SequenceEqual(original))
                {
                    yield return m;
                }
            }

            if (at + 4 <= original.Length)
            {
                foreach (uint v in new uint[] { 0xFFFFFFFF, 0x80000000 })
                {
                    byte[] m = (byte[])original.Clone();
                    BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(at), v);
                    if (!m.AsSpan().SequenceEqual(original))
                    {
                        yield return m;
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(QuoteIds))]
    public void Every_mutant_parses_or_fails_cleanly_and_none_passes(string id)
    {
        RealQuote q = RealQuote.Get(id);
        int cases = 0;
        TimeSpan slowest = TimeSpan.Zero;
        var watch = new Stopwatch();
        using var verifier = new QuoteVerifier(TpmtPublic.Parse(q.AkPublic));

        foreach (byte[] attest in Mutants(q.Attest))
        {
            watch.Restart();
            TryParse(() => TpmsAttest.Parse(attest));
            QuoteVerificationResult r = verifier.Verify(attest, q.Signature, q.Nonce, q.Selection, q.Pcrs);
            Assert.False(r.Passed, $"{id}: mutated attest {Convert.ToHexString(attest)} passed");
            slowest = Max(slowest, watch.Elapsed);
            cases++;
        }

        foreach (byte[] signature in Mutants(q.Signature))
        {
            watch.Restart();
            TryParse(() => TpmtSignature.Parse(signature));
            QuoteVerificationResult r = verifier.Verify(q.Attest, signature, q.Nonce, q.Selection, q.Pcrs);
            Assert.False(r.Passed, $"{id}: mutated signature {Convert.ToHexString(signature)} passed");
            slowest = Max(slowest, watch.Elapsed);
            cases++;
        }

        foreach (byte[] akPublic in Mutants(q.AkPublic))
        {
            watch.Restart();
            if (TryParse(() => TpmtPublic.Parse(akPublic)) is { } ak)
            {
                // A mutated AK may legitimately pass (e.g. userWithAuth flipped); it must not throw.
                using var mutated = new QuoteVerifier(ak);
                _ = mutated.Verify(q.Attest, q.Signature, q.Nonce, q.Selection, q.Pcrs);
                if (ak.NameAlg is not (Tpm.Types.TpmAlgId.Null or Tpm.Types.TpmAlgId.Sm3_256))
                {
                    Assert.Equal(akPublic, ak.ToArray());
                    _ = ak.ComputeName();
                }
            }

            _ = QuoteVerifier.Verify(akPublic, q.Attest, q.Signature, q.Nonce, q.Selection, q.Pcrs);
            slowest = Max(slowest, watch.Elapsed);
            cases++;
        }

        output.WriteLine($"{id}: {cases} cases, slowest {slowest.TotalMilliseconds:F1} ms");
        Assert.True(slowest < CaseLimit, $"{id}: slowest case took {slowest}");
        int expectedAtLeast = 9 * (q.Attest.Length + q.Signature.Length + q.AkPublic.Length);
        Assert.True(cases >= expectedAtLeast, $"{id}: only {cases} cases");
    }

    [Fact]
    public void The_mutation_corpus_has_at_least_fifty_thousand_cases()
    {
        int total = RealQuote.All.Sum(q => Mutants(q.Attest).Count() + Mutants(q.Signature).Count() + Mutants(q.AkPublic).Count());
        output.WriteLine($"{total} mutation cases");
        Assert.True(total >= 50_000, $"{total} cases");
    }

    // Returns the parsed value, null on TpmFormatException; any other exception fails the test.
    private static T? TryParse<T>(Func<T> parse)
        where T : class
    {
        try
        {
            return parse();
        }
        catch (TpmFormatException e)
        {
            Assert.InRange(e.Offset, 0, 1 << 16);
            return null;
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
