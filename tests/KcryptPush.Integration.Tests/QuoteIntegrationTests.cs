using System.Security.Cryptography;
using KcryptPush.Attestation.Quotes;
using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Tpm.Client;
using KcryptPush.Tpm.Commands;
using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Integration.Tests;

/// <summary>Quotes both ways: ours checked by tpm2_checkquote, tpm2_quote's checked by our QuoteVerifier.</summary>
[Trait("Category", "Integration")]
public sealed class QuoteIntegrationTests : IClassFixture<SwtpmClassFixture>
{
    private readonly SwtpmClassFixture _f;

    public QuoteIntegrationTests(SwtpmClassFixture fixture) => _f = fixture;

    private static TpmlPcrSelection Selection =>
        TpmlPcrSelection.Create((TpmAlgId.Sha256, [0, 1, 2, 3, 4, 5, 6, 7, 16]), (TpmAlgId.Sha1, [0, 16]));

    private const string ToolsSelection = "sha256:0,1,2,3,4,5,6,7,16+sha1:0,16";

    [Theory]
    [InlineData(AkKind.Rsa2048)]
    [InlineData(AkKind.EccP256)]
    public void A_quote_by_our_primary_ak_is_accepted_by_tpm2_checkquote(AkKind kind)
    {
        byte[] nonce = RandomNumberGenerator.GetBytes(20);
        TpmQuote quote;
        TpmtPublic akPublic;
        IReadOnlyList<TpmPcrValue> pcrs;
        using (TpmClient tpm = TpmClient.Open(_f.Tpm.TpmUri))
        {
            tpm.ExtendPcr(16, TpmAlgId.Sha256, SHA256.HashData(nonce));
            using TpmKey ak = tpm.CreateAk(kind);
            akPublic = ak.Public;
            quote = tpm.Quote(ak.Handle, nonce, Selection);
            pcrs = tpm.ReadPcrs(Selection);
        }
        string tag = kind.ToString();
        File.WriteAllBytes(_f.Tools.PathOf($"ak-{tag}.pub"), Tpm2b(akPublic));
        File.WriteAllBytes(_f.Tools.PathOf($"q-{tag}.msg"), quote.Attest);
        File.WriteAllBytes(_f.Tools.PathOf($"q-{tag}.sig"), quote.Signature);
        // tpm2_checkquote 5.4 mis-reads a plain values file (-f with -l) for mixed-bank selections
        // (its own tpm2_pcrread -o output fails too), so write its serialized format instead.
        File.WriteAllBytes(_f.Tools.PathOf($"q-{tag}.pcrs"), Tpm2ToolsPcrFile.Serialize(Selection, pcrs));
        string[] args =
        [
            "-u", $"ak-{tag}.pub", "-m", $"q-{tag}.msg", "-s", $"q-{tag}.sig",
            "-f", $"q-{tag}.pcrs", "-g", "sha256", "-q", Convert.ToHexString(nonce),
        ];

        ProcessResult ok = _f.Tools.TryRun("checkquote", args);
        Assert.True(ok.ExitCode == 0, ok.StdErr);

        // The same evidence with another nonce must fail: checkquote really checks it.
        args[^1] = Convert.ToHexString(RandomNumberGenerator.GetBytes(20));
        Assert.NotEqual(0, _f.Tools.TryRun("checkquote", args).ExitCode);
    }

    [Theory]
    [InlineData(AkKind.Rsa2048)]
    [InlineData(AkKind.Rsa2048Pss)]
    [InlineData(AkKind.EccP256)]
    public void A_quote_by_our_primary_ak_passes_our_QuoteVerifier_and_binds_the_nonce(AkKind kind)
    {
        byte[] nonce = RandomNumberGenerator.GetBytes(32);
        using TpmClient tpm = TpmClient.Open(_f.Tpm.TpmUri);
        using TpmKey ak = tpm.CreateAk(kind);
        TpmQuote quote = tpm.Quote(ak.Handle, nonce, Selection);
        PcrValues reported = Reported(tpm.ReadPcrs(Selection));

        using var verifier = new QuoteVerifier(ak.Public);
        QuoteVerificationResult result = verifier.Verify(quote.Attest, quote.Signature, nonce, Selection, reported);

        Assert.True(result.Passed, result.ToString());
        Assert.Equal(TpmName.Qualify(ak.Public.NameAlg, TpmName.OfHandle(TpmHandle.RhEndorsement), ak.Name), result.Attest!.QualifiedSigner);
        Assert.False(verifier.Verify(quote.Attest, quote.Signature, new byte[32], Selection, reported).Passed);
    }

    [Theory]
    [InlineData("rsa", "rsassa")]
    [InlineData("ecc", "ecdsa")]
    public void A_quote_by_tpm2_quote_is_accepted_by_our_QuoteVerifier(string alg, string scheme)
    {
        byte[] nonce = RandomNumberGenerator.GetBytes(16);
        _f.Tools.Run("createek", "-G", alg, "-c", $"ek-{alg}.ctx", "-u", $"ek-{alg}.pub");
        _f.Tools.Run("createak", "-C", $"ek-{alg}.ctx", "-c", $"ak-{alg}.ctx", "-G", alg, "-g", "sha256", "-s", scheme,
            "-u", $"ak-{alg}.pub", "-n", $"ak-{alg}.name", "-r", $"ak-{alg}.priv");
        _f.Tools.Run("quote", "-c", $"ak-{alg}.ctx", "-l", ToolsSelection, "-q", Convert.ToHexString(nonce),
            "-m", $"tq-{alg}.msg", "-s", $"tq-{alg}.sig", "-g", "sha256");

        IReadOnlyList<TpmPcrValue> pcrs;
        using (TpmClient tpm = TpmClient.Open(_f.Tpm.TpmUri))
        {
            pcrs = tpm.ReadPcrs(Selection);
        }
        TpmtPublic ak = Tpm2bPublic.Parse(File.ReadAllBytes(_f.Tools.PathOf($"ak-{alg}.pub")));
        byte[] attest = File.ReadAllBytes(_f.Tools.PathOf($"tq-{alg}.msg"));
        byte[] signature = File.ReadAllBytes(_f.Tools.PathOf($"tq-{alg}.sig"));
        PcrValues reported = Reported(pcrs);

        using var verifier = new QuoteVerifier(ak);
        QuoteVerificationResult result = verifier.Verify(attest, signature, nonce, Selection, reported);
        Assert.True(result.Passed, result.ToString());

        // A changed PCR value must be caught.
        PcrValues tampered = Reported(pcrs.Select(p => p.Bank == TpmAlgId.Sha256 && p.Index == 16 ? p with { Digest = new byte[32] } : p));
        Assert.False(verifier.Verify(attest, signature, nonce, Selection, tampered).Passed);
    }

    private static PcrValues Reported(IEnumerable<TpmPcrValue> pcrs)
    {
        var values = new PcrValues();
        foreach (TpmPcrValue p in pcrs)
        {
            values.Set(p.Bank, p.Index, p.Digest);
        }
        return values;
    }

    private static byte[] Tpm2b(TpmtPublic pub)
    {
        var w = new TpmWriter();
        Tpm2bPublic.Write(w, pub);
        return w.ToArray();
    }
}
