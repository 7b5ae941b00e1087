using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Tpm.Client;
using KcryptPush.Tpm.Commands;
using KcryptPush.Tpm.Crypto;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Integration.Tests.Enrolment;

/// <summary>What one swtpm itself reports about the keys an agent enrols: the RSA EK, its TPM hash, and the persisted AK.</summary>
public sealed record TpmKeys(string TpmHash, byte[] EkPublic, byte[] AkPublic, byte[] AkName)
{
    /// <summary>
    /// Reads the keys with our client (EK from its template; AK by ReadPublic at 0x81018000) and
    /// checks the AK Name against tpm2_readpublic, an independent implementation.
    /// </summary>
    public static TpmKeys Read(SwtpmInstance tpm, bool crossCheckWithTpm2Tools = true)
    {
        TpmKeys keys;
        using (TpmClient client = TpmClient.Open(tpm.TpmUri))
        {
            using TpmKey ek = client.CreateEk(EkKind.Rsa2048);
            TpmReadPublicResult ak = client.TryReadPublic(TpmHandle.DefaultAk)
                ?? throw new InvalidOperationException($"no AK persisted at 0x{TpmHandle.DefaultAk:x8} on {tpm.TpmUri}");
            keys = new TpmKeys(KcryptPush.Tpm.Crypto.TpmHash.Of(ek.Public), ek.Public.ToArray(), ak.Public.ToArray(), ak.Name);
        }

        if (crossCheckWithTpm2Tools)
        {
            using var tools = new Tpm2Tools(tpm);
            tools.Run("readpublic", "-c", "0x81018000", "-n", "ak.name");
            byte[] name = File.ReadAllBytes(tools.PathOf("ak.name"));
            if (!name.AsSpan().SequenceEqual(keys.AkName))
            {
                throw new InvalidOperationException($"tpm2_readpublic reports AK Name {Convert.ToHexStringLower(name)}, our client {Convert.ToHexStringLower(keys.AkName)}");
            }
        }

        return keys;
    }

    /// <summary>The TPM hash of the RSA EK only (the agent may not have persisted an AK yet).</summary>
    public static string HashOf(SwtpmInstance tpm)
    {
        using TpmClient client = TpmClient.Open(tpm.TpmUri);
        using TpmKey ek = client.CreateEk(EkKind.Rsa2048);
        return KcryptPush.Tpm.Crypto.TpmHash.Of(ek.Public);
    }
}
