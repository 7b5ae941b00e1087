using System.Text.Json.Serialization;
using KcryptPush.Contracts.V1;

namespace KcryptPush.Agent.Bus;

/// <summary>
/// The messages the agent sends and receives, serialised by source-generated code (no reflection:
/// the agent can be fully trimmed or compiled ahead of time). The same shape as MassTransit's
/// System.Text.Json serializer writes: camelCase names, nulls written, byte[] as base64, names read
/// case-insensitively.
/// </summary>
/// <remarks>
/// Metadata mode, not the fast path: the fast-path serializer of .NET 10's generator writes a null
/// <c>byte[]</c> as <c>""</c> (WriteBase64String of an empty span), which turned QuoteSubmitted's absent
/// <c>eventLog</c> into an empty log and the verifier answered event-log-digest-mismatch
/// (AgentEnvelopeTests pins null as null).
/// </remarks>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    AllowTrailingCommas = true,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip,
    GenerationMode = JsonSourceGenerationMode.Metadata)]
[JsonSerializable(typeof(RequestChallenge))]
[JsonSerializable(typeof(Challenge))]
[JsonSerializable(typeof(AttestationRefused))]
[JsonSerializable(typeof(QuoteSubmitted))]
[JsonSerializable(typeof(AttestationResult))]
[JsonSerializable(typeof(RegisterNode))]
[JsonSerializable(typeof(CredentialChallenge))]
[JsonSerializable(typeof(CredentialProof))]
[JsonSerializable(typeof(NodeEnrolled))]
[JsonSerializable(typeof(EnrolmentRejected))]
internal sealed partial class AgentJsonContext : JsonSerializerContext;
