using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Structures;

/// <summary>
/// TPMT_PUBLIC (TPM 2.0 Part 2 §12.2.4): the public area of an object. Header: type, nameAlg,
/// objectAttributes, authPolicy; then TPMU_PUBLIC_PARMS and TPMU_PUBLIC_ID by type:
/// <list type="bullet">
/// <item>RSA (§12.2.3.5 TPMS_RSA_PARMS): symmetric, scheme, keyBits, exponent (0 = 65537); unique = modulus.</item>
/// <item>ECC (§12.2.3.6 TPMS_ECC_PARMS): symmetric, scheme, curveID, kdf; unique = x, y.</item>
/// <item>KEYEDHASH (§12.2.3.3): scheme (HMAC or NULL); unique = TPM2B_DIGEST.</item>
/// <item>SYMCIPHER (§12.2.3.4): symmetric; unique = TPM2B_DIGEST.</item>
/// </list>
/// Instances are immutable by convention: do not modify the arrays. A parsed instance keeps
/// the exact bytes it came from (<see cref="GetBytes"/>), which is what its Name hashes.
/// </summary>
public sealed partial class TpmtPublic
{
    private byte[]? _bytes;
    private byte[]? _name;

    /// <summary>type (TPMI_ALG_PUBLIC): RSA, ECC, KEYEDHASH or SYMCIPHER.</summary>
    public required TpmAlgId Type { get; init; }

    /// <summary>nameAlg (TPMI_ALG_HASH): the hash of the Name.</summary>
    public required TpmAlgId NameAlg { get; init; }

    /// <summary>objectAttributes.</summary>
    public required TpmaObject ObjectAttributes { get; init; }

    /// <summary>authPolicy (TPM2B_DIGEST contents; empty for none).</summary>
    public byte[] AuthPolicy { get; init; } = [];

    /// <summary>symmetric (RSA, ECC, SYMCIPHER): the parent protection algorithm, NULL for signing keys.</summary>
    public TpmtSymDefObject Symmetric { get; init; } = TpmtSymDefObject.Null;

    /// <summary>scheme (RSA, ECC, KEYEDHASH).</summary>
    public TpmtScheme Scheme { get; init; } = TpmtScheme.Null;

    /// <summary>keyBits (RSA).</summary>
    public ushort KeyBits { get; init; }

    /// <summary>exponent (RSA); 0 means the default 65537 (2^16 + 1).</summary>
    public uint Exponent { get; init; }

    /// <summary>curveID (ECC).</summary>
    public TpmEccCurve Curve { get; init; }

    /// <summary>kdf (ECC).</summary>
    public TpmtScheme Kdf { get; init; } = TpmtScheme.Null;

    /// <summary>unique for RSA (the modulus, big-endian), KEYEDHASH and SYMCIPHER (a digest).</summary>
    public byte[] Unique { get; init; } = [];

    /// <summary>unique.x for ECC.</summary>
    public byte[] UniqueX { get; init; } = [];

    /// <summary>unique.y for ECC.</summary>
    public byte[] UniqueY { get; init; } = [];

    /// <summary>The effective RSA public exponent (65537 when <see cref="Exponent"/> is 0).</summary>
    public uint EffectiveExponent => Exponent == 0 ? 65537u : Exponent;

    /// <summary>Parses a TPMT_PUBLIC that fills <paramref name="data"/> exactly (no TPM2B size prefix).</summary>
    /// <exception cref="TpmFormatException">Malformed or trailing data.</exception>
    public static TpmtPublic Parse(ReadOnlySpan<byte> data)
    {
        var reader = new TpmReader(data);
        TpmtPublic p = Read(ref reader);
        reader.EnsureAtEnd("TPMT_PUBLIC");
        return p;
    }

    /// <summary>Reads a TPMT_PUBLIC and remembers its exact bytes.</summary>
    /// <exception cref="TpmFormatException">Malformed data.</exception>
    public static TpmtPublic Read(ref TpmReader reader)
    {
        int start = reader.Position;
        int typeAt = reader.Position;
        var type = (TpmAlgId)reader.ReadUInt16("TPMT_PUBLIC.type");
        if (type is not (TpmAlgId.Rsa or TpmAlgId.Ecc or TpmAlgId.KeyedHash or TpmAlgId.SymCipher))
        {
            throw reader.FailAt(typeAt, $"TPMI_ALG_PUBLIC (RSA, ECC, KEYEDHASH, SYMCIPHER; got 0x{(ushort)type:x4})");
        }

        int nameAlgAt = reader.Position;
        var nameAlg = (TpmAlgId)reader.ReadUInt16("TPMT_PUBLIC.nameAlg");
        if (nameAlg != TpmAlgId.Null && !TpmAlgorithms.IsHash(nameAlg))
        {
            throw reader.FailAt(nameAlgAt, $"TPMI_ALG_HASH+ nameAlg (got 0x{(ushort)nameAlg:x4})");
        }

        var attributes = (TpmaObject)reader.ReadUInt32("TPMT_PUBLIC.objectAttributes");
        byte[] policy = reader.ReadTpm2b("TPMT_PUBLIC.authPolicy", TpmLimits.Digest).ToArray();

        TpmtPublic result;
        switch (type)
        {
            case TpmAlgId.Rsa:
            {
                TpmtSymDefObject sym = TpmtSymDefObject.Read(ref reader);
                TpmtScheme scheme = TpmtScheme.Read(ref reader, TpmSchemeKind.Rsa);
                ushort bits = reader.ReadUInt16("TPMS_RSA_PARMS.keyBits");
                uint exponent = reader.ReadUInt32("TPMS_RSA_PARMS.exponent");
                byte[] n = reader.ReadTpm2b("TPM2B_PUBLIC_KEY_RSA", TpmLimits.RsaKeyBytes).ToArray();
                result = new TpmtPublic
                {
                    Type = type, NameAlg = nameAlg, ObjectAttributes = attributes, AuthPolicy = policy,
                    Symmetric = sym, Scheme = scheme, KeyBits = bits, Exponent = exponent, Unique = n,
                };
                break;
            }

            case TpmAlgId.Ecc:
            {
                TpmtSymDefObject sym = TpmtSymDefObject.Read(ref reader);
                TpmtScheme scheme = TpmtScheme.Read(ref reader, TpmSchemeKind.Ecc);
                var curve = (TpmEccCurve)reader.ReadUInt16("TPMS_ECC_PARMS.curveID");
                TpmtScheme kdf = TpmtScheme.Read(ref reader, TpmSchemeKind.Kdf);
                byte[] x = reader.ReadTpm2b("TPMS_ECC_POINT.x", TpmLimits.EccParameter).ToArray();
                byte[] y = reader.ReadTpm2b("TPMS_ECC_POINT.y", TpmLimits.EccParameter).ToArray();
                result = new TpmtPublic
                {
                    Type = type, NameAlg = nameAlg, ObjectAttributes = attributes, AuthPolicy = policy,
                    Symmetric = sym, Scheme = scheme, Curve = curve, Kdf = kdf, UniqueX = x, UniqueY = y,
                };
                break;
            }

            case TpmAlgId.KeyedHash:
            {
                TpmtScheme scheme = TpmtScheme.Read(ref reader, TpmSchemeKind.KeyedHash);
                byte[] unique = reader.ReadTpm2b("TPM2B_DIGEST unique", TpmLimits.Digest).ToArray();
                result = new TpmtPublic
                {
                    Type = type, NameAlg = nameAlg, ObjectAttributes = attributes, AuthPolicy = policy,
                    Scheme = scheme, Unique = unique,
                };
                break;
            }

            default:
            {
                TpmtSymDefObject sym = TpmtSymDefObject.Read(ref reader);
                byte[] unique = reader.ReadTpm2b("TPM2B_DIGEST unique", TpmLimits.Digest).ToArray();
                result = new TpmtPublic
                {
                    Type = type, NameAlg = nameAlg, ObjectAttributes = attributes, AuthPolicy = policy,
                    Symmetric = sym, Unique = unique,
                };
                break;
            }
        }

        result._bytes = reader.Buffer[start..reader.Position].ToArray();
        return result;
    }

    /// <summary>Writes this TPMT_PUBLIC (the exact parsed bytes when it was parsed).</summary>
    public void Write(TpmWriter writer) => writer.WriteBytes(GetBytes());

    /// <summary>The marshalled TPMT_PUBLIC (no TPM2B size): exactly the input bytes for a parsed instance.</summary>
    public ReadOnlySpan<byte> GetBytes() => _bytes ??= Marshal();

    /// <summary>A copy of the marshalled TPMT_PUBLIC.</summary>
    public byte[] ToArray() => GetBytes().ToArray();

    /// <summary>
    /// The object's Name: nameAlg (UINT16) ‖ H_nameAlg(TPMT_PUBLIC) (TPM 2.0 Part 1 §16, Part 2
    /// §10.4.3 TPM2B_NAME contents). Returns a fresh copy.
    /// </summary>
    /// <exception cref="NotSupportedException">nameAlg is NULL or a hash this process cannot compute.</exception>
    public byte[] ComputeName()
    {
        _name ??= TpmName.Compute(NameAlg, GetBytes());
        return (byte[])_name.Clone();
    }

    private byte[] Marshal()
    {
        var w = new TpmWriter(64 + Unique.Length + UniqueX.Length + UniqueY.Length + AuthPolicy.Length);
        w.WriteUInt16((ushort)Type);
        w.WriteUInt16((ushort)NameAlg);
        w.WriteUInt32((uint)ObjectAttributes);
        w.WriteTpm2b(AuthPolicy);
        switch (Type)
        {
            case TpmAlgId.Rsa:
                Symmetric.Write(w);
                Scheme.Write(w);
                w.WriteUInt16(KeyBits);
                w.WriteUInt32(Exponent);
                w.WriteTpm2b(Unique);
                break;
            case TpmAlgId.Ecc:
                Symmetric.Write(w);
                Scheme.Write(w);
                w.WriteUInt16((ushort)Curve);
                Kdf.Write(w);
                w.WriteTpm2b(UniqueX);
                w.WriteTpm2b(UniqueY);
                break;
            case TpmAlgId.KeyedHash:
                Scheme.Write(w);
                w.WriteTpm2b(Unique);
                break;
            case TpmAlgId.SymCipher:
                Symmetric.Write(w);
                w.WriteTpm2b(Unique);
                break;
            default:
                throw new InvalidOperationException($"TPMT_PUBLIC type 0x{(ushort)Type:x4} cannot be marshalled.");
        }

        return w.ToArray();
    }
}
