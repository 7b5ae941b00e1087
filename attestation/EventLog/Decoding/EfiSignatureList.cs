namespace KcryptPush.Attestation.EventLog.Decoding;

/// <summary>One EFI_SIGNATURE_DATA: SignatureOwner GUID + SignatureData (a DER certificate for
/// EFI_CERT_X509, a 32-byte hash for EFI_CERT_SHA256). UNTRUSTED.</summary>
public sealed record EfiSignatureData(Guid Owner, ReadOnlyMemory<byte> Data);

/// <summary>
/// EFI_SIGNATURE_LIST (UEFI spec §32.4.1): SignatureType GUID, SignatureListSize UINT32,
/// SignatureHeaderSize UINT32, SignatureSize UINT32, SignatureHeader, then EFI_SIGNATURE_DATA
/// entries of SignatureSize bytes each. UNTRUSTED.
/// </summary>
public sealed record EfiSignatureList(Guid SignatureType, int SignatureSize, IReadOnlyList<EfiSignatureData> Signatures)
{
    /// <summary>Name of the signature type, e.g. "EFI_CERT_X509".</summary>
    public string TypeName => KnownGuids.Describe(SignatureType);

    /// <summary>Parses the concatenated lists of a db/dbx/KEK/PK/MokList value.</summary>
    /// <exception cref="EventLogFormatException">A list is malformed.</exception>
    public static IReadOnlyList<EfiSignatureList> ParseAll(ReadOnlyMemory<byte> data, long baseOffset)
    {
        var lists = new List<EfiSignatureList>();
        var r = new EventLogReader(data.Span, baseOffset);
        while (!r.IsAtEnd)
        {
            Guid type = r.ReadGuid("EFI_SIGNATURE_LIST.SignatureType");
            uint listSize = r.ReadUInt32("EFI_SIGNATURE_LIST.SignatureListSize");
            uint headerSize = r.ReadUInt32("EFI_SIGNATURE_LIST.SignatureHeaderSize");
            uint signatureSize = r.ReadUInt32("EFI_SIGNATURE_LIST.SignatureSize");
            const uint fixedSize = 28;
            if (listSize < fixedSize || listSize - fixedSize > (uint)r.Remaining)
            {
                throw r.Error($"SignatureListSize of 28..{r.Remaining + fixedSize} bytes, got {listSize}");
            }
            uint body = listSize - fixedSize;
            if (headerSize > body)
            {
                throw r.Error($"SignatureHeaderSize <= {body}, got {headerSize}");
            }
            r.Skip((int)headerSize, "EFI_SIGNATURE_LIST.SignatureHeader");
            uint entriesSize = body - headerSize;
            if (signatureSize < 16 || entriesSize % signatureSize != 0)
            {
                throw r.Error($"SignatureSize >= 16 dividing {entriesSize}, got {signatureSize}");
            }
            var entries = new List<EfiSignatureData>((int)Math.Min(entriesSize / signatureSize, 1024));
            for (uint i = 0; i < entriesSize / signatureSize; i++)
            {
                Guid owner = r.ReadGuid("EFI_SIGNATURE_DATA.SignatureOwner");
                int start = r.Position;
                r.Skip((int)signatureSize - 16, "EFI_SIGNATURE_DATA.SignatureData");
                entries.Add(new EfiSignatureData(owner, data.Slice(start, (int)signatureSize - 16)));
            }
            lists.Add(new EfiSignatureList(type, (int)signatureSize, entries));
        }
        return lists;
    }
}
