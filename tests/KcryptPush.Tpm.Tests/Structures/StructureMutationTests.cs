using System.Buffers.Binary;
using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Templates;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Tests.Structures;

/// <summary>
/// Every parser, fed mutants of a valid encoding (truncations, bit flips, sizes and counts set to
/// extremes) and random bytes, either parses or throws TpmFormatException; whatever parses
/// marshals back to the same bytes.
/// </summary>
[Trait("Category", "Unit")]
public class StructureMutationTests
{
    private delegate byte[] RoundTrip(ReadOnlySpan<byte> data);

    private static readonly (string Name, RoundTrip Parse, Func<byte[]> Sample)[] Parsers =
    [
        ("TPMT_PUBLIC rsa", d => Rebuilt(TpmtPublic.Parse(d)), () => EkTemplates.RsaL1().ToArray()),
        ("TPMT_PUBLIC ecc", d => Rebuilt(TpmtPublic.Parse(d)), () => EkTemplates.EccL2().ToArray()),
        ("TPMT_PUBLIC symcipher", d => Rebuilt(TpmtPublic.Parse(d)), () => new TpmtPublic
        {
            Type = TpmAlgId.SymCipher, NameAlg = TpmAlgId.Sha256, ObjectAttributes = TpmaObject.Decrypt,
            Symmetric = TpmtSymDefObject.Aes128Cfb, Unique = new byte[32],
        }.ToArray()),
        ("TPMT_PUBLIC keyedhash", d => Rebuilt(TpmtPublic.Parse(d)), () => new TpmtPublic
        {
            Type = TpmAlgId.KeyedHash, NameAlg = TpmAlgId.Sha384, ObjectAttributes = TpmaObject.Sign,
            Scheme = new TpmtScheme(TpmAlgId.Hmac, TpmAlgId.Sha256), Unique = new byte[48],
        }.ToArray()),
        ("TPMT_PUBLIC ecdaa", d => Rebuilt(TpmtPublic.Parse(d)), () => new TpmtPublic
        {
            Type = TpmAlgId.Ecc, NameAlg = TpmAlgId.Sha256, ObjectAttributes = TpmaObject.Sign,
            Scheme = new TpmtScheme(TpmAlgId.EcDaa, TpmAlgId.Sha256, 7), Curve = TpmEccCurve.BnP256,
            Kdf = new TpmtScheme(TpmAlgId.Kdf1Sp800_108, TpmAlgId.Sha256), UniqueX = [1], UniqueY = [2],
        }.ToArray()),
        ("TPM2B_PUBLIC", d =>
        {
            var r = new TpmReader(d);
            TpmtPublic p = Tpm2bPublic.Read(ref r);
            r.EnsureAtEnd("test");
            var w = new TpmWriter();
            w.WriteTpm2b(Rebuilt(p));
            return w.ToArray();
        }, () =>
        {
            var w = new TpmWriter();
            Tpm2bPublic.Write(w, AkTemplates.EccP256());
            return w.ToArray();
        }),
        ("TPMT_SIGNATURE hmac", d => TpmtSignature.Parse(d).ToArray(),
            () => new TpmtSignature { SigAlg = TpmAlgId.Hmac, Hash = TpmAlgId.Sha1, Signature = new byte[20] }.ToArray()),
        ("TPMT_SIGNATURE ecdsa", d => TpmtSignature.Parse(d).ToArray(),
            () => new TpmtSignature { SigAlg = TpmAlgId.EcDsa, Hash = TpmAlgId.Sha384, R = new byte[48], S = new byte[48] }.ToArray()),
        ("TPML_PCR_SELECTION", d => Whole(d, (ref TpmReader r, TpmWriter w) => TpmlPcrSelection.Read(ref r).Write(w)),
            () => Write(w => TpmlPcrSelection.Create((TpmAlgId.Sha256, [0, 1, 7]), (TpmAlgId.Sha1, [23])).Write(w))),
        ("TPML_DIGEST", d => Whole(d, (ref TpmReader r, TpmWriter w) => TpmlDigest.Read(ref r).Write(w)),
            () => Write(w => new TpmlDigest([new byte[32], new byte[48]]).Write(w))),
        ("TPML_DIGEST_VALUES", d => Whole(d, (ref TpmReader r, TpmWriter w) => TpmlDigestValues.Read(ref r).Write(w)),
            () => Write(w => new TpmlDigestValues([new TpmtHa(TpmAlgId.Sha256, new byte[32]), new TpmtHa(TpmAlgId.Sha1, new byte[20])]).Write(w))),
        ("TPM2B_NV_PUBLIC", d => Whole(d, (ref TpmReader r, TpmWriter w) => TpmsNvPublic.ReadTpm2b(ref r).WriteTpm2b(w)),
            () => Write(w => new TpmsNvPublic
            {
                NvIndex = 0x01C00002, NameAlg = TpmAlgId.Sha256, Attributes = (TpmaNv)0x62072001, DataSize = 1016,
            }.WriteTpm2b(w))),
        ("TPMS_ATTEST quote", d => TpmsAttest.Parse(d).ToArray(), () => new TpmsAttest
        {
            Magic = TpmsAttest.TpmGeneratedValue, Type = TpmSt.AttestQuote, QualifiedSigner = new byte[34], ExtraData = [9, 9],
            Quote = new TpmsQuoteInfo(TpmlPcrSelection.Create((TpmAlgId.Sha256, [0, 7])), new byte[32]),
        }.ToArray()),
    ];

    // Marshals a field-by-field copy, so the round trip does not just return the cached input bytes.
    private static byte[] Rebuilt(TpmtPublic p) => new TpmtPublic
    {
        Type = p.Type, NameAlg = p.NameAlg, ObjectAttributes = p.ObjectAttributes, AuthPolicy = p.AuthPolicy,
        Symmetric = p.Symmetric, Scheme = p.Scheme, KeyBits = p.KeyBits, Exponent = p.Exponent,
        Curve = p.Curve, Kdf = p.Kdf, Unique = p.Unique, UniqueX = p.UniqueX, UniqueY = p.UniqueY,
    }.ToArray();

    private delegate void ReadWrite(ref TpmReader reader, TpmWriter writer);

    private static byte[] Whole(ReadOnlySpan<byte> data, ReadWrite readWrite)
    {
        var r = new TpmReader(data);
        var w = new TpmWriter();
        readWrite(ref r, w);
        r.EnsureAtEnd("test");
        return w.ToArray();
    }

    private static byte[] Write(Action<TpmWriter> write)
    {
        var w = new TpmWriter();
        write(w);
        return w.ToArray();
    }

    public static TheoryData<string> ParserNames() => new(Parsers.Select(p => p.Name));

    [Theory]
    [MemberData(nameof(ParserNames))]
    public void Mutants_parse_to_the_same_bytes_or_throw_TpmFormatException(string name)
    {
        (_, RoundTrip parse, Func<byte[]> sample) = Parsers.Single(p => p.Name == name);
        byte[] original = sample();
        Assert.Equal(original, parse(original));

        var random = new Random(original.Length);
        var mutants = new List<byte[]>();
        for (int n = 0; n < original.Length; n++)
        {
            mutants.Add(original[..n]);
        }

        for (int bit = 0; bit < original.Length * 8; bit++)
        {
            byte[] m = (byte[])original.Clone();
            m[bit >> 3] ^= (byte)(1 << (bit & 7));
            mutants.Add(m);
        }

        for (int at = 0; at + 4 <= original.Length; at++)
        {
            byte[] a = (byte[])original.Clone();
            BinaryPrimitives.WriteUInt16BigEndian(a.AsSpan(at), 0xFFFF);
            byte[] b = (byte[])original.Clone();
            BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(at), 0xFFFFFFFF);
            mutants.Add(a);
            mutants.Add(b);
        }

        for (int i = 0; i < 500; i++)
        {
            byte[] m = new byte[random.Next(0, original.Length + 8)];
            random.NextBytes(m);
            mutants.Add(m);
        }

        int parsed = 0;
        int rejected = 0;
        foreach (byte[] m in mutants)
        {
            try
            {
                Assert.Equal(m, parse(m));
                parsed++;
            }
            catch (TpmFormatException e)
            {
                Assert.InRange(e.Offset, 0, m.Length);
                rejected++;
            }
        }

        // Both outcomes occur: bit flips in values parse, truncations never do.
        Assert.True(parsed > 0 && rejected >= original.Length, $"{parsed} parsed, {rejected} rejected");
    }
}
