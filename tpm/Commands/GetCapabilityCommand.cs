using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Commands;

/// <summary>TPM_CAP (TPM 2.0 Part 2 Table 23): the capabilities we ask for.</summary>
public enum TpmCapability : uint
{
    Algs = 0,
    Handles = 1,
    Commands = 2,
    Pcrs = 5,
    TpmProperties = 6,
}

/// <summary>TPM_PT (TPM 2.0 Part 2 Table 24): the fixed properties we read (PT_FIXED = 0x100).</summary>
public enum TpmPt : uint
{
    FamilyIndicator = 0x100,
    Level = 0x101,
    Revision = 0x102,
    Manufacturer = 0x105,
    VendorString1 = 0x106,
    VendorString2 = 0x107,
    VendorString3 = 0x108,
    VendorString4 = 0x109,
    FirmwareVersion1 = 0x10B,
    FirmwareVersion2 = 0x10C,
    PcrCount = 0x112,
    PcrSelectMin = 0x113,
    MaxCommandSize = 0x11E,
    MaxResponseSize = 0x11F,
    MaxDigest = 0x120,
    NvBufferMax = 0x12C,
}

/// <summary>
/// TPM2_GetCapability (TPM 2.0 Part 3 §30.2): capability u32, property u32, propertyCount u32 →
/// TPMI_YES_NO moreData, TPMS_CAPABILITY_DATA {capability u32, union}. The helpers here loop
/// while moreData = 1, asking again from the last returned item + 1.
/// </summary>
public static class GetCapabilityCommand
{
    /// <summary>TPM_CAP_TPM_PROPERTIES: TPML_TAGGED_TPM_PROPERTY from <paramref name="first"/>, at most <paramref name="count"/> items.</summary>
    public static IReadOnlyDictionary<TpmPt, uint> GetProperties(this TpmCommandChannel tpm, TpmPt first = TpmPt.FamilyIndicator, uint count = 128)
    {
        var result = new Dictionary<TpmPt, uint>();
        uint next = (uint)first;
        uint last = (uint)first + count - 1;
        while (next <= last)
        {
            byte[] data = tpm.GetCapabilityRaw(TpmCapability.TpmProperties, next, last - next + 1, out bool more);
            var r = new TpmReader(data);
            uint n = r.ReadUInt32("TPML_TAGGED_TPM_PROPERTY.count");
            uint lastSeen = next;
            for (uint i = 0; i < n; i++)
            {
                uint property = r.ReadUInt32("TPMS_TAGGED_PROPERTY.property");
                uint value = r.ReadUInt32("TPMS_TAGGED_PROPERTY.value");
                result[(TpmPt)property] = value;
                lastSeen = property;
            }
            r.EnsureAtEnd("TPML_TAGGED_TPM_PROPERTY");
            if (!more || n == 0)
            {
                break;
            }
            next = lastSeen + 1;
        }
        return result;
    }

    /// <summary>One TPM property, or null when the TPM does not report it.</summary>
    public static uint? GetProperty(this TpmCommandChannel tpm, TpmPt property) =>
        tpm.GetProperties(property, 1).TryGetValue(property, out uint v) ? v : null;

    /// <summary>
    /// TPM_CAP_HANDLES: every handle of the range whose first handle is <paramref name="first"/>
    /// (e.g. 0x80000000 transient objects, 0x02000000 loaded HMAC sessions, 0x03000000 loaded
    /// policy sessions, 0x81000000 persistent objects, 0x01000000 NV indexes).
    /// </summary>
    public static IReadOnlyList<uint> GetHandles(this TpmCommandChannel tpm, uint first)
    {
        var handles = new List<uint>();
        uint top = first & 0xFF000000;
        uint next = first;
        while (true)
        {
            byte[] data = tpm.GetCapabilityRaw(TpmCapability.Handles, next, 64, out bool more);
            var r = new TpmReader(data);
            uint n = r.ReadUInt32("TPML_HANDLE.count");
            for (uint i = 0; i < n; i++)
            {
                uint h = r.ReadUInt32("TPM_HANDLE");
                // A TPM answers handles of the asked type only, but stop at the range end anyway.
                if ((h & 0xFF000000) != top)
                {
                    more = false;
                    break;
                }
                handles.Add(h);
            }
            if (!more || n == 0)
            {
                return handles;
            }
            next = handles[^1] + 1;
        }
    }

    /// <summary>
    /// TPM_CAP_PCRS: the PCR allocation, a TPML_PCR_SELECTION with one entry per bank the TPM
    /// implements (a bank with an all-zero bitmap is implemented but not allocated).
    /// </summary>
    public static TpmlPcrSelection GetPcrAllocation(this TpmCommandChannel tpm)
    {
        byte[] data = tpm.GetCapabilityRaw(TpmCapability.Pcrs, 0, 1, out _);
        var r = new TpmReader(data);
        TpmlPcrSelection allocation = TpmlPcrSelection.Read(ref r);
        r.EnsureAtEnd("TPML_PCR_SELECTION");
        return allocation;
    }

    /// <summary>The banks with at least one PCR allocated (e.g. sha1, sha256 on swtpm).</summary>
    public static IReadOnlyList<TpmAlgId> GetActiveBanks(this TpmCommandChannel tpm) =>
        tpm.GetPcrAllocation().Selections.Where(s => s.Count > 0).Select(s => s.Hash).ToList();

    /// <summary>
    /// Sends one GetCapability and returns the union bytes after TPMS_CAPABILITY_DATA.capability
    /// (checked to echo <paramref name="capability"/>).
    /// </summary>
    public static byte[] GetCapabilityRaw(this TpmCommandChannel tpm, TpmCapability capability, uint property, uint count, out bool moreData)
    {
        TpmResponse response = tpm.Execute(new TpmCommand(
            TpmCc.GetCapability,
            [],
            [],
            TpmCommand.Params(w =>
            {
                w.WriteUInt32((uint)capability);
                w.WriteUInt32(property);
                w.WriteUInt32(count);
            })));
        var r = new TpmReader(response.Parameters);
        moreData = r.ReadUInt8("TPMI_YES_NO moreData") != 0;
        uint echoed = r.ReadUInt32("TPMS_CAPABILITY_DATA.capability");
        if (echoed != (uint)capability)
        {
            throw r.FailAt(1, $"capability {(uint)capability} (got {echoed})");
        }
        return r.RemainingSpan.ToArray();
    }
}
