using System.Text.Json.Serialization;
using KcryptPush.Contracts.V1;

namespace KcryptPush.Bench.Transport;

/// <summary>
/// What the transport floor sends and answers: a steady node's QuoteSubmitted (no event log, both
/// default banks with 24 PCRs each, an ECC P-256 AK's sizes) and the AttestationResult of a pass with
/// its next challenge, the shapes the verifier receives and sends per steady attestation.
/// </summary>
internal static class FloorMessages
{
    private static readonly PcrBankSelection[] Selection =
        [new PcrBankSelection("sha1", [.. Enumerable.Range(0, 24)]), new PcrBankSelection("sha256", [.. Enumerable.Range(0, 24)])];

    public static QuoteSubmitted Quote(int node) => new(
        Guid.NewGuid(),
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(node))),
        new byte[34],
        new byte[145],
        new byte[72],
        [Bank("sha1", 20), Bank("sha256", 32)],
        new byte[32],
        null,
        null,
        $"load-{node:D5}");

    public static AttestationResult Pass(QuoteSubmitted q) => new(
        q.ChallengeId, q.TpmHash, AttestationVerdicts.Pass, [],
        new Challenge(Guid.NewGuid(), q.TpmHash, new byte[32], Selection, DateTimeOffset.UtcNow.AddMinutes(5)),
        false, null, null);

    private static PcrBankValues Bank(string name, int size) =>
        new(name, Enumerable.Range(0, 24).ToDictionary(i => i, _ => new byte[size]));
}

/// <summary>The floor responder's serialiser for RabbitMQ.Client: source-generated, the agent's options (AgentJsonContext).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    GenerationMode = JsonSourceGenerationMode.Metadata)]
[JsonSerializable(typeof(QuoteSubmitted))]
[JsonSerializable(typeof(AttestationResult))]
internal sealed partial class FloorJsonContext : JsonSerializerContext;
