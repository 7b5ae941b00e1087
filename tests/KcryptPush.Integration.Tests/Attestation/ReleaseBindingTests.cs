using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using KcryptPush.Agent.Attestation;
using KcryptPush.Contracts.V1;
using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Tpm.Client;
using KcryptPush.Tpm.Commands;
using KcryptPush.Tpm.Errors;
using KcryptPush.Tpm.Release;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Integration.Tests.Attestation;

/// <summary>
/// Release to the attested boot (DESIGN.md "Flows"), end to end on swtpm: a secret the verifier
/// releases is wrapped with MakeCredential to the node's EK and the Name of a NULL-hierarchy release
/// key whose policy is PolicyPCR(the quoted PCRs) ∧ PolicyCounterTimer(the quoted resetCount) ∧
/// PolicyCommandCode(ActivateCredential). It opens in that boot with those PCRs, and neither after one
/// more PCR extend nor after a TPM reset, even from a copy of the result taken off the broker; a
/// release key with any other template, signed honestly, is refused; the verifier stores nothing sealed.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ReleaseBindingTests(BindingClassFixture f) : IClassFixture<BindingClassFixture>
{
    private const string Label = "COS_PERSISTENT";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static byte[] SharedLog => EvidenceClassFixture.SharedLog;

    [Fact]
    public async Task A_released_secret_opens_in_the_attested_boot_and_neither_it_nor_its_copy_from_the_broker_opens_after_one_PCR_extend()
    {
        AttackNode n = f.Nodes[0];
        (string passphrase, QuoteEvidence evidence, SealedSecret released, SealedSecret copy) = await ReleaseAsync(n);

        // The same boot, the same PCRs: both the answer and the copy from the wire open.
        Assert.Equal(passphrase, Encoding.UTF8.GetString(n.OpenSecret(released, evidence)));
        Assert.Equal(passphrase, Encoding.UTF8.GetString(n.OpenSecret(copy, evidence)));

        // One more measurement into a quoted PCR (PCR 7, SHA-256 bank), as a changed boot would make.
        using (TpmClient tpm = TpmClient.Open(n.Tpm.TpmUri))
        {
            tpm.ExtendPcr(7, TpmAlgId.Sha256, SHA256.HashData("one measurement the attested boot did not make"u8));
        }

        foreach ((string what, SealedSecret s) in new[] { ("the result", released), ("the broker copy", copy) })
        {
            byte[]? opened = null;
            TpmException e = Assert.Throws<TpmException>(() => opened = n.OpenSecret(s, evidence));
            Assert.True(e.Code == TpmRc.PolicyFail && e.Command == "TPM2_ActivateCredential", $"{what}: {e.Command} {e.Code}: {e.Message}");
            Assert.Null(opened);
        }
    }

    [Fact]
    public async Task After_a_TPM_reset_with_the_same_PCRs_measured_again_neither_the_released_secret_nor_its_broker_copy_opens()
    {
        AttackNode n = f.Nodes[1];
        (string passphrase, QuoteEvidence evidence, SealedSecret released, SealedSecret copy) = await ReleaseAsync(n);
        Assert.Equal(passphrase, Encoding.UTF8.GetString(n.OpenSecret(released, evidence)));

        // A reboot into the very same boot: the PCRs come back to the quoted values, only the boot differs.
        TpmsAttest attest = TpmsAttest.Parse(evidence.Attest);
        TpmlPcrSelection selection = attest.Quote!.PcrSelect;
        TpmtPublic releaseKey = TpmtPublic.Parse(evidence.ReleaseKeyPublic!);
        n.Tpm.Restart();
        EventLogSeeder.Seed(n.Tpm, SharedLog);
        using (TpmClient tpm = TpmClient.Open(n.Tpm.TpmUri))
        {
            Assert.Equal(attest.ClockInfo.ResetCount + 1, tpm.Channel.ReadClock().ResetCount);
            Assert.Equal(Hex(ValuesDigest(selection, evidence.Pcrs)), Hex(ValuesDigest(selection, tpm.ReadPcrs(selection))));
        }

        foreach ((string what, SealedSecret s) in new[] { ("the result", released), ("the broker copy", copy) })
        {
            byte[]? opened = null;
            ReleaseKeyGoneException gone = Assert.Throws<ReleaseKeyGoneException>(() => opened = n.OpenSecret(s, evidence));
            Assert.Contains(Hex(releaseKey.ComputeName()), gone.Message, StringComparison.Ordinal);
            Assert.Null(opened);
            Console.WriteLine($"{what} after a TPM reset: {gone.Message}");
        }

        // Without the agent's check: the release key's template made again (another Name: the NULL seed
        // changed), its policy session replayed with the quoted resetCount, which the TPM refuses.
        using (TpmClient tpm = TpmClient.Open(n.Tpm.TpmUri))
        {
            using TpmKey ek = tpm.CreateEk(EkKind.Rsa2048);
            using TpmKey again = tpm.CreateReleaseKey(ReleaseKeyTemplate.Create(releaseKey.AuthPolicy));
            Assert.NotEqual(Hex(releaseKey.ComputeName()), Hex(again.Name));
            foreach (SealedSecret s in new[] { released, copy })
            {
                byte[]? opened = null;
                TpmException e = Assert.Throws<TpmException>(() => opened = tpm.ActivateWithReleaseKey(
                    again, ek, selection, attest.ClockInfo.ResetCount, s.CredentialBlob, s.EncryptedSecret));
                Assert.True(e.Code == TpmRc.Policy && e.Command == "TPM2_PolicyCounterTimer", $"{e.Command} {e.Code}: {e.Message}");
                Assert.Null(opened);
            }
        }
    }

    [Fact]
    public async Task A_release_key_with_userWithAuth_another_PCR_policy_or_another_resetCount_signed_by_the_AK_is_release_key_invalid_and_gets_no_secret()
    {
        AttackNode n = f.Nodes[2];
        f.SetSecret(n, Label, "invalid-key-" + Guid.NewGuid().ToString("N"));

        // The node releases with the agent's own release key: what follows fails for its key alone.
        Challenge first = await f.ChallengeAsync(n);
        AttestationResult honest = await f.SubmitAsync(n.Submission(first, n.Quote(first, SharedLog, releaseKey: true), SharedLog, [Label]));
        AssertPass(honest);
        Assert.Single(honest.Secrets ?? []);

        TpmlPcrSelection selection = TpmEvidenceTpm.SelectionOf(first);
        uint resetCount;
        byte[] values;
        using (TpmClient tpm = TpmClient.Open(n.Tpm.TpmUri))
        {
            resetCount = tpm.Channel.ReadClock().ResetCount;
            values = ValuesDigest(selection, tpm.ReadPcrs(selection));
        }

        byte[] policy = ReleaseKeyPolicy.Compute(selection, values, resetCount);
        (string Name, TpmtPublic Template, string Problem)[] keys =
        [
            ("userWithAuth set (a password would open it in any boot)", Template(policy, ReleaseKeyTemplate.Attributes | TpmaObject.UserWithAuth), "objectAttributes"),
            ("a policy over other PCR values", Template(ReleaseKeyPolicy.Compute(selection, SHA256.HashData(values.Append((byte)1).ToArray()), resetCount), ReleaseKeyTemplate.Attributes), "authPolicy"),
            ("a policy for the next boot's resetCount", Template(ReleaseKeyPolicy.Compute(selection, values, resetCount + 1), ReleaseKeyTemplate.Attributes), "authPolicy"),
        ];
        DateTimeOffset from = DateTimeOffset.UtcNow;
        foreach ((string name, TpmtPublic template, string problem) in keys)
        {
            Challenge c = await f.ChallengeAsync(n);
            QuoteEvidence evidence = n.Quote(c, SharedLog, template);
            Assert.Equal(Hex(EvidenceBinding.Compute(c.Nonce, SHA256.HashData(SharedLog), TpmtPublic.Parse(evidence.ReleaseKeyPublic!).ComputeName())),
                Hex(TpmsAttest.Parse(evidence.Attest).ExtraData)); // the premise: the AK signed this key
            AttestationResult r = await f.SubmitAsync(n.Submission(c, evidence, SharedLog, [Label]));
            Assert.True(r.Verdict == AttestationVerdicts.Fail, $"{name}: verdict {r.Verdict}: {Describe(r)}");
            AttestationReason reason = Assert.Single(r.Reasons);
            Assert.True(reason.Code == AttestationReasonCodes.ReleaseKeyInvalid, $"{name}: {Describe(r)}");
            Assert.Contains(problem, reason.Message, StringComparison.Ordinal);
            Assert.Null(r.Secrets);
            Console.WriteLine($"{name}: {reason.Code}: {reason.Message}");
        }

        // The AK signed each key, so this is the node's own evidence: it is quarantined for it.
        SpiedMessage q = await f.Verdicts.WaitForAsync(m => m.Is("NodeQuarantined") && Hash(m) == n.TpmHash && m.At >= from, Patience, "NodeQuarantined", f.Diagnostics);
        Assert.Equal([AttestationReasonCodes.ReleaseKeyInvalid], Codes(q.Message.GetProperty("reasonCodes")));
    }

    [Fact]
    public async Task The_verifiers_store_holds_no_credential_blob_encrypted_secret_or_ciphertext_of_any_released_secret()
    {
        AttackNode n = f.Nodes[3];
        string passphrase = "at-rest-" + Guid.NewGuid().ToString("N");
        f.SetSecret(n, Label, passphrase);
        Challenge c = await f.ChallengeAsync(n);
        QuoteEvidence evidence = n.Quote(c, SharedLog, releaseKey: true);
        QuoteSubmitted discovery = n.Submission(c, evidence, SharedLog, [Label]);
        AttestationResult first = await f.SubmitAsync(discovery);
        AssertPass(first);
        SealedSecret s1 = Assert.Single(first.Secrets ?? []);

        // An identical redelivery: the stored verdict, and the secret sealed afresh (nothing sealed was kept).
        AttestationResult again = await f.SubmitAsync(discovery);
        AssertPass(again);
        Assert.Equal(first.NextChallenge?.ChallengeId, again.NextChallenge?.ChallengeId);
        SealedSecret s2 = Assert.Single(again.Secrets ?? []);
        Assert.NotEqual(Hex(s1.Ciphertext), Hex(s2.Ciphertext));
        Assert.Equal(passphrase, Encoding.UTF8.GetString(n.OpenSecret(s2, evidence)));

        // The verifier holds its files open: copy them (LiteDB's data file and its -log journal) first.
        string copy = Directory.CreateTempSubdirectory("kcp-verifier-db-").FullName;
        try
        {
            ProcessRunner.RunChecked("cp", ["-a", $"{f.VerifierDbDirectory}/.", copy]);
            (string File, byte[] Bytes)[] files = [.. Directory.GetFiles(copy, "*", SearchOption.AllDirectories).Select(p => (Path.GetRelativePath(copy, p), File.ReadAllBytes(p)))];
            Assert.Contains(files, x => x.File == "verifier.db");

            // The search sees what the verifier just wrote: the challenge's nonce is stored (as it must be).
            Assert.True(files.Any(x => Contains(x.Bytes, c.Nonce)), $"the challenge nonce {Hex(c.Nonce)} is in none of {string.Join(", ", files.Select(x => x.File))}");

            IReadOnlyList<SealedSecret> released = f.Released;
            Assert.Contains(released, x => x.Ciphertext.AsSpan().SequenceEqual(s1.Ciphertext));
            Assert.Contains(released, x => x.Ciphertext.AsSpan().SequenceEqual(s2.Ciphertext));
            foreach (SealedSecret s in released)
            {
                foreach ((string part, byte[] value) in new[] { ("credential blob", s.CredentialBlob), ("encrypted secret", s.EncryptedSecret), ("ciphertext", s.Ciphertext) })
                {
                    foreach ((string form, byte[] needle) in Forms(value))
                    {
                        (string File, byte[] Bytes)[] holding = [.. files.Where(x => Contains(x.Bytes, needle))];
                        Assert.True(holding.Length == 0, $"{string.Join(", ", holding.Select(x => x.File))} hold(s) the {part} of a released {s.Label} ({form})");
                    }
                }
            }

            byte[] clear = Encoding.UTF8.GetBytes(passphrase);
            Assert.DoesNotContain(files, x => Contains(x.Bytes, clear));
            Console.WriteLine($"searched {string.Join(", ", files.Select(x => $"{x.File} ({x.Bytes.Length} bytes)"))} for {released.Count} released secret(s)");
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    // Sets a secret, asks for it over a fresh challenge with the agent's own release key, and takes the
    // copy of the verifier's answer the broker carried (its firehose), as a wiretap would.
    private async Task<(string Passphrase, QuoteEvidence Evidence, SealedSecret Released, SealedSecret Copy)> ReleaseAsync(AttackNode n)
    {
        string passphrase = "release-" + Guid.NewGuid().ToString("N");
        f.SetSecret(n, Label, passphrase);
        BrokerFirehose wire = await f.FirehoseAsync();
        Challenge c = await f.ChallengeAsync(n);
        QuoteEvidence evidence = n.Quote(c, SharedLog, releaseKey: true);
        AttestationResult r = await f.SubmitAsync(n.Submission(c, evidence, SharedLog, [Label]));
        AssertPass(r);
        SealedSecret released = Assert.Single(r.Secrets ?? []);

        SpiedMessage captured = await wire.WaitForAsync(
            m => m.Is(nameof(AttestationResult)) && m.Message.GetProperty("challengeId").GetGuid() == c.ChallengeId, Patience, $"AttestationResult for challenge {c.ChallengeId}");
        AttestationResult onTheWire = captured.Message.Deserialize<AttestationResult>(Json)!;
        SealedSecret copy = Assert.Single(onTheWire.Secrets ?? []);
        Assert.Equal(Hex(released.CredentialBlob), Hex(copy.CredentialBlob));
        Assert.Equal(Hex(released.Ciphertext), Hex(copy.Ciphertext));
        Assert.DoesNotContain(passphrase, Encoding.UTF8.GetString(captured.Body), StringComparison.Ordinal);
        return (passphrase, evidence, released, copy);
    }

    // SHA-256 over the selected PCR values in selection order: what PolicyPCR binds.
    private static byte[] ValuesDigest(TpmlPcrSelection selection, IEnumerable<TpmPcrValue> values)
    {
        Dictionary<(TpmAlgId, int), byte[]> byPcr = values.ToDictionary(v => (v.Bank, v.Index), v => v.Digest);
        return ReleaseKeyPolicy.PcrValuesDigest(selection, (bank, pcr) => byPcr.GetValueOrDefault((bank, pcr)))
            ?? throw new InvalidOperationException("a selected PCR has no value");
    }

    private static byte[] ValuesDigest(TpmlPcrSelection selection, PcrBankValues[] reported) => ValuesDigest(selection,
        reported.SelectMany(b => b.Values.Select(v => new TpmPcrValue(TpmAlgorithms.TryParsePcrBank(b.Bank, out TpmAlgId alg) ? alg : throw new InvalidOperationException(b.Bank), v.Key, v.Value))));

    private static TpmtPublic Template(byte[] authPolicy, TpmaObject attributes)
    {
        TpmtPublic t = ReleaseKeyTemplate.Create(authPolicy);
        return new TpmtPublic
        {
            Type = t.Type,
            NameAlg = t.NameAlg,
            ObjectAttributes = attributes,
            AuthPolicy = t.AuthPolicy,
            Symmetric = t.Symmetric,
            Scheme = t.Scheme,
            Curve = t.Curve,
            Kdf = t.Kdf,
        };
    }

    // The value as raw bytes (a BSON binary), and as base64 and hex text (e.g. inside a stored JSON document).
    private static (string Form, byte[] Needle)[] Forms(byte[] value) =>
    [
        ("raw", value),
        ("base64", Encoding.UTF8.GetBytes(Convert.ToBase64String(value))),
        ("hex", Encoding.UTF8.GetBytes(Convert.ToHexStringLower(value))),
    ];

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    private void AssertPass(AttestationResult r)
    {
        Assert.True(r.Verdict == AttestationVerdicts.Pass, $"verdict {r.Verdict}: {Describe(r)}\n{f.Diagnostics()}");
        Assert.Empty(r.Reasons);
        Assert.NotNull(r.NextChallenge);
    }

    private static string Describe(AttestationResult r) => string.Join("; ", r.Reasons.Select(x => $"{x.Code}: {x.Message}"));

    private static string Hex(ReadOnlySpan<byte> b) => Convert.ToHexStringLower(b);

    private static string? Hash(SpiedMessage m) => m.Message.TryGetProperty("tpmHash", out JsonElement h) ? h.GetString() : null;

    private static string[] Codes(JsonElement array) => [.. array.EnumerateArray().Select(c => c.GetString()!)];
}
