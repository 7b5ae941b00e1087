using System.Security.Cryptography;
using KcryptPush.Tpm.Crypto;

namespace KcryptPush.Tpm.Tests.Crypto;

[Trait("Category", "Unit")]
public sealed class AesCfbTests
{
    // Expected values from OpenSSL 3.0 (its CFB is CFB-128 and needs no padding):
    //   printf PLAINTEXT | xxd -r -p | openssl enc -aes-128-cfb|-aes-256-cfb -K KEY -iv 00…00 | xxd -p
    // Keys are the SP800-38A example keys; lengths 1, 16 and 34 (a credential's UINT16 ‖ 32 bytes).
    [Theory]
    [InlineData("2b7e151628aed2a6abf7158809cf4f3c", "00", "7d")]
    [InlineData("2b7e151628aed2a6abf7158809cf4f3c", "6bc1bee22e409f96e93d7e117393172a", "1636d5ee34f80625d77f8e56ca884345")]
    [InlineData("2b7e151628aed2a6abf7158809cf4f3c", "0020000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        "7dd76b0d18bb9db63845f84eb3105862d5a87d191995d351e9f21cd8714bf6de7466")]
    [InlineData("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", "00", "e5")]
    [InlineData("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", "6bc1bee22e409f96e93d7e117393172a", "8ea94863ba8fe940fe7032d13083bf7e")]
    [InlineData("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", "0020000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        "e548f68096cc72d3114a44c9491ba45960d9da8c24b9a8dd4b186a80754b0f61b5e7")]
    public void Encrypt_matches_openssl_cfb128_with_a_zero_iv(string key, string plaintext, string expected)
    {
        byte[] ciphertext = TpmAesCfb.Encrypt(Convert.FromHexString(key), Convert.FromHexString(plaintext));

        Assert.Equal(expected, Convert.ToHexStringLower(ciphertext));
    }

    [Theory]
    [InlineData(16, 1)]
    [InlineData(16, 15)]
    [InlineData(24, 17)]
    [InlineData(32, 34)]
    [InlineData(32, 66)]
    public void Decrypt_inverts_encrypt_for_lengths_that_are_not_whole_blocks(int keySize, int length)
    {
        byte[] key = RandomNumberGenerator.GetBytes(keySize);
        byte[] plaintext = RandomNumberGenerator.GetBytes(length);

        byte[] ciphertext = TpmAesCfb.Encrypt(key, plaintext);

        Assert.Equal(length, ciphertext.Length);
        Assert.NotEqual(plaintext, ciphertext);
        Assert.Equal(plaintext, TpmAesCfb.Decrypt(key, ciphertext));
    }

    [Fact]
    public void A_shorter_plaintext_encrypts_to_a_prefix_of_the_longer_one_as_a_stream_mode_must()
    {
        byte[] key = RandomNumberGenerator.GetBytes(16);
        byte[] plaintext = RandomNumberGenerator.GetBytes(40);

        byte[] full = TpmAesCfb.Encrypt(key, plaintext);
        byte[] part = TpmAesCfb.Encrypt(key, plaintext.AsSpan(0, 21));

        Assert.Equal(full.AsSpan(0, 21).ToArray(), part);
    }

    [Fact]
    public void Empty_input_gives_empty_output()
    {
        Assert.Empty(TpmAesCfb.Encrypt(new byte[16], []));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(15)]
    [InlineData(20)]
    public void A_key_that_is_not_an_aes_key_is_refused(int keySize)
    {
        Assert.Throws<ArgumentException>(() => TpmAesCfb.Encrypt(new byte[keySize], [1, 2, 3]));
    }
}
