using System.Security.Cryptography;
using System.Text;
using KcryptPush.Messaging;

namespace KcryptPush.Registrar.Tests;

[Trait("Category", "Unit")]
public sealed class CredentialProofMacTests
{
    private const string Hash = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
    private static readonly Guid Challenge = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");

    [Fact]
    public void The_MACed_bytes_are_the_ASCII_TPM_hash_then_the_challenge_id_in_network_order()
    {
        byte[] expected = [.. Encoding.ASCII.GetBytes(Hash), .. Convert.FromHexString("00112233445566778899aabbccddeeff")];

        Assert.Equal(expected, CredentialProofMac.Message(Hash, Challenge));
    }

    [Fact]
    public void The_proof_is_HMAC_SHA256_keyed_by_the_credential()
    {
        byte[] credential = RandomNumberGenerator.GetBytes(32);
        using var hmac = new HMACSHA256(credential);
        byte[] expected = hmac.ComputeHash(CredentialProofMac.Message(Hash, Challenge));

        Assert.Equal(expected, CredentialProofMac.Compute(credential, Hash, Challenge));
        Assert.True(CredentialProofMac.Verify(credential, Hash, Challenge, expected));
    }

    [Fact]
    public void A_proof_for_another_secret_hash_challenge_or_length_does_not_verify()
    {
        byte[] credential = RandomNumberGenerator.GetBytes(32);
        byte[] proof = CredentialProofMac.Compute(credential, Hash, Challenge);

        Assert.False(CredentialProofMac.Verify(RandomNumberGenerator.GetBytes(32), Hash, Challenge, proof));
        Assert.False(CredentialProofMac.Verify(credential, Hash.Replace('0', '1'), Challenge, proof));
        Assert.False(CredentialProofMac.Verify(credential, Hash, Guid.NewGuid(), proof));
        Assert.False(CredentialProofMac.Verify(credential, Hash, Challenge, proof[..31]));
    }
}
