using System.Formats.Asn1;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using KcryptPush.Tpm.Commands;
using KcryptPush.Tpm.Crypto;
using KcryptPush.Tpm.Errors;
using KcryptPush.Tpm.Sessions;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Templates;
using KcryptPush.Tpm.Transport;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Client;

/// <summary>
/// The agent's view of a TPM: EKs and AKs from templates, EK certificates from NV, PCRs, quotes
/// and credential activation. Every transient object and session this class starts is flushed
/// on every path, success or failure (swtpm has no resource manager). Not thread-safe.
/// </summary>
public sealed partial class TpmClient : IDisposable
{
    /// <summary>The NV buffer size to assume when the TPM does not report TPM_PT_NV_BUFFER_MAX.</summary>
    private const int FallbackNvBufferMax = 512;

    private int? _nvBufferMax;

    public TpmClient(ITpmTransport transport)
    {
        Channel = new TpmCommandChannel(transport);
    }

    /// <summary>The command channel, for commands this class does not wrap.</summary>
    public TpmCommandChannel Channel { get; }

    /// <summary>Opens <c>device:/dev/tpmrm0</c> or <c>swtpm:HOST:PORT</c>.</summary>
    /// <exception cref="InvalidTpmUriException">A malformed address.</exception>
    /// <exception cref="TpmTransportException">The TPM cannot be reached.</exception>
    public static TpmClient Open(string uri, TimeSpan? timeout = null) => new(TpmTransportFactory.Open(uri, timeout));

    /// <summary>Manufacturer, vendor strings, firmware, revision and active PCR banks.</summary>
    public TpmInfo Info()
    {
        IReadOnlyDictionary<TpmPt, uint> p = Channel.GetProperties(TpmPt.FamilyIndicator, 0x30);
        uint v1 = p.GetValueOrDefault(TpmPt.FirmwareVersion1);
        uint v2 = p.GetValueOrDefault(TpmPt.FirmwareVersion2);
        string vendor = string.Concat(
            new[] { TpmPt.VendorString1, TpmPt.VendorString2, TpmPt.VendorString3, TpmPt.VendorString4 }
                .Select(k => p.TryGetValue(k, out uint v) ? Ascii(v) : string.Empty));
        return new TpmInfo(
            Ascii(p.GetValueOrDefault(TpmPt.Manufacturer)),
            vendor,
            string.Create(CultureInfo.InvariantCulture, $"{v1:x8}.{v2:x8}"),
            v1,
            v2,
            p.GetValueOrDefault(TpmPt.Revision),
            Channel.GetActiveBanks());
    }

    /// <summary>Creates the EK of <paramref name="kind"/> from its TCG template (a transient primary key).</summary>
    public TpmKey CreateEk(EkKind kind, ReadOnlySpan<byte> endorsementAuth = default) =>
        CreatePrimary(TpmHandle.RhEndorsement, EkKinds.Template(kind), endorsementAuth);

    /// <summary>The AK template of <paramref name="kind"/> with Name hash <paramref name="nameAlg"/>.</summary>
    public static TpmtPublic AkTemplate(AkKind kind, TpmAlgId nameAlg = TpmAlgId.Sha256) => kind switch
    {
        AkKind.Rsa2048 => AkTemplates.Rsa2048(nameAlg),
        AkKind.Rsa2048Pss => AkTemplates.Rsa2048(nameAlg, pss: true),
        AkKind.EccP256 => AkTemplates.EccP256(nameAlg),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown AK kind"),
    };

    /// <summary>
    /// Creates the AK as a primary restricted signing key in the endorsement hierarchy (DESIGN.md
    /// "Identities"): the same template on the same TPM gives the same key, so no key file is needed.
    /// </summary>
    public TpmKey CreateAk(AkKind kind = AkKind.Rsa2048, TpmAlgId nameAlg = TpmAlgId.Sha256, ReadOnlySpan<byte> endorsementAuth = default) =>
        CreatePrimary(TpmHandle.RhEndorsement, AkTemplate(kind, nameAlg), endorsementAuth);

    /// <summary>
    /// The AK persisted at <paramref name="persistentHandle"/> (default 0x81018000): used as is when
    /// a key made from the same template is there; created and persisted with EvictControl when
    /// the handle is empty.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another kind of key occupies the handle.</exception>
    public TpmKey GetOrCreatePersistentAk(
        AkKind kind = AkKind.Rsa2048,
        TpmAlgId nameAlg = TpmAlgId.Sha256,
        uint persistentHandle = TpmHandle.DefaultAk)
    {
        if (TpmHandle.HandleType(persistentHandle) != 0x81)
        {
            throw new ArgumentOutOfRangeException(nameof(persistentHandle), $"0x{persistentHandle:x8} is not a persistent handle (0x81xxxxxx)");
        }
        TpmtPublic template = AkTemplate(kind, nameAlg);
        TpmReadPublicResult? existing = TryReadPublic(persistentHandle);
        if (existing is not null)
        {
            if (!SameTemplate(existing.Public, template))
            {
                throw new InvalidOperationException(
                    $"persistent handle 0x{persistentHandle:x8} holds a key that was not made from the {kind} AK template");
            }
            return new TpmKey(Channel, persistentHandle, existing.Public, existing.Name);
        }
        using TpmKey created = CreatePrimary(TpmHandle.RhEndorsement, template, default);
        Channel.Persist(created.Handle, persistentHandle);
        return new TpmKey(Channel, persistentHandle, created.Public, created.Name);
    }

    /// <summary>Removes a persistent object (e.g. the AK) with owner authorization.</summary>
    public void EvictPersistent(uint persistentHandle) => Channel.Evict(persistentHandle);

    /// <summary>TPM2_ReadPublic, or null when nothing is loaded at <paramref name="handle"/>.</summary>
    public TpmReadPublicResult? TryReadPublic(uint handle)
    {
        try
        {
            return Channel.ReadPublic(handle);
        }
        catch (TpmException e) when (e.Code == TpmRc.Handle)
        {
            return null;
        }
    }

    /// <summary>
    /// The DER certificate of <paramref name="kind"/>'s EK from its NV index, or null when the
    /// index does not exist. Read with the index's own authorization (AUTHREAD, empty password)
    /// in chunks of TPM_PT_NV_BUFFER_MAX; padding after the DER certificate is cut off.
    /// </summary>
    public byte[]? ReadEkCertificateBytes(EkKind kind) => ReadNvCertificate(EkKinds.CertificateIndex(kind));

    /// <summary>The EK certificate of <paramref name="kind"/>, or null when the index does not exist.</summary>
    public X509Certificate2? ReadEkCertificate(EkKind kind)
    {
        byte[]? der = ReadEkCertificateBytes(kind);
        return der is null ? null : X509CertificateLoader.LoadCertificate(der);
    }

    /// <summary>Reads a DER object stored in an NV index, or null when the index is not defined.</summary>
    public byte[]? ReadNvCertificate(uint nvIndex)
    {
        TpmNvReadPublicResult nv;
        try
        {
            nv = Channel.NvReadPublic(nvIndex);
        }
        catch (TpmException e) when (e.Code == TpmRc.Handle)
        {
            return null;
        }
        uint auth = nv.Public.Attributes.HasFlag(TpmaNv.AuthRead) ? nvIndex : TpmHandle.RhOwner;
        byte[] data = Channel.NvRead(auth, nvIndex, nv.Public.DataSize, NvBufferMax);
        return TrimDer(data);
    }

    /// <summary>Every selected PCR of every selected bank, in selection order.</summary>
    public IReadOnlyList<TpmPcrValue> ReadPcrs(TpmlPcrSelection selection) => Channel.PcrReadAll(selection);

    /// <summary>Extends one PCR bank: PCR = H(PCR ‖ digest).</summary>
    public void ExtendPcr(int pcr, TpmAlgId bank, byte[] digest) => Channel.PcrExtend(pcr, new TpmtHa(bank, digest));

    /// <summary>TPM2_Quote with the AK's own scheme over <paramref name="selection"/>, qualified by <paramref name="nonce"/>.</summary>
    public TpmQuote Quote(uint akHandle, ReadOnlySpan<byte> nonce, TpmlPcrSelection selection) =>
        Channel.Quote(akHandle, nonce, selection);

    /// <summary>
    /// TPM2_ActivateCredential: the AK with a password session (ADMIN role; adminWithPolicy is
    /// clear), the EK with a fresh policy session that satisfies its authPolicy (flushed afterwards).
    /// </summary>
    /// <param name="credentialBlob">TPM2B_ID_OBJECT contents (no size prefix).</param>
    /// <param name="encryptedSecret">TPM2B_ENCRYPTED_SECRET contents (no size prefix).</param>
    public byte[] ActivateCredential(TpmKey ak, TpmKey ek, ReadOnlySpan<byte> credentialBlob, ReadOnlySpan<byte> encryptedSecret, ReadOnlySpan<byte> endorsementAuth = default)
    {
        ArgumentNullException.ThrowIfNull(ak);
        ArgumentNullException.ThrowIfNull(ek);
        using PolicySession session = PolicySession.ForEk(Channel, ek.Public, endorsementAuth);
        return Channel.ActivateCredential(ak.Handle, TpmAuthorization.Password(), ek.Handle, session.Authorization, credentialBlob, encryptedSecret);
    }

    /// <summary>Activates a <see cref="CredentialBlob"/> from our MakeCredential.</summary>
    public byte[] ActivateCredential(TpmKey ak, TpmKey ek, CredentialBlob blob)
    {
        ArgumentNullException.ThrowIfNull(blob);
        return ActivateCredential(ak, ek, blob.IdObjectContents.Span, blob.EncryptedSecretContents.Span);
    }

    /// <summary>TPM_CAP_HANDLES from <paramref name="first"/> (e.g. 0x80000000 transient objects).</summary>
    public IReadOnlyList<uint> GetHandles(uint first) => Channel.GetHandles(first);

    public void Dispose() => Channel.Dispose();

    private int NvBufferMax => _nvBufferMax ??= (int?)Channel.GetProperty(TpmPt.NvBufferMax) is int n and > 0 ? n : FallbackNvBufferMax;

    private TpmKey CreatePrimary(uint hierarchy, TpmtPublic template, ReadOnlySpan<byte> auth)
    {
        TpmLoadedKey key = Channel.CreatePrimary(hierarchy, template, auth);
        return new TpmKey(Channel, key.Handle, key.Public, key.Name);
    }

    /// <summary>Same type, nameAlg, attributes, policy, parameters: everything but unique.</summary>
    private static bool SameTemplate(TpmtPublic actual, TpmtPublic template) =>
        actual.Type == template.Type
        && actual.NameAlg == template.NameAlg
        && actual.ObjectAttributes == template.ObjectAttributes
        && actual.AuthPolicy.AsSpan().SequenceEqual(template.AuthPolicy)
        && actual.Symmetric == template.Symmetric
        && actual.Scheme == template.Scheme
        && actual.KeyBits == template.KeyBits
        && actual.EffectiveExponent == template.EffectiveExponent
        && actual.Curve == template.Curve
        && actual.Kdf == template.Kdf;

    /// <summary>The DER object at the start of <paramref name="data"/>; NV indexes may be padded.</summary>
    private static byte[] TrimDer(byte[] data)
    {
        try
        {
            AsnDecoder.ReadEncodedValue(data, AsnEncodingRules.DER, out _, out _, out int consumed);
            return consumed == data.Length ? data : data[..consumed];
        }
        catch (AsnContentException)
        {
            return data;
        }
    }

    private static string Ascii(uint value)
    {
        Span<byte> b = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(b, value);
        var sb = new StringBuilder(4);
        foreach (byte c in b)
        {
            if (c is >= 0x20 and < 0x7F)
            {
                sb.Append((char)c);
            }
        }
        return sb.ToString().Trim();
    }
}
