using KcryptPush.Contracts.V1;
using MassTransit;

namespace KcryptPush.Verifier.Operator;

/// <summary>The broker user a received operator request came from (null when there is none).</summary>
public delegate string? BrokerUserOf(ConsumeContext context);

/// <summary>
/// Who an operator command is audited under: the broker user of the connection that sent it, from
/// the AMQP <c>user_id</c> property (RabbitMQ refuses a <c>user_id</c> other than the connection's
/// user with PRECONDITION_FAILED, so it is validated), never the free-text <c>--operator</c>, which is
/// kept only as a comment: <c>broker:kcrypt-operator (--operator alice)</c>. A request without a
/// validated user is refused.
/// </summary>
public static class OperatorActor
{
    /// <summary>Why a request without a broker-validated user_id is refused.</summary>
    public const string Unauthenticated =
        "refused: operator commands must come from an authenticated broker user (the request carries no broker-validated AMQP user_id)";

    /// <summary>The <c>user_id</c> property of a message received from RabbitMQ, or null.</summary>
    public static string? RabbitMqUser(ConsumeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        RabbitMqBasicConsumeContext? rmq = context.ReceiveContext as RabbitMqBasicConsumeContext;
        if (rmq is null && !context.ReceiveContext.TryGetPayload(out rmq))
        {
            return null;
        }

        string? user = rmq?.Properties?.UserId;
        return string.IsNullOrWhiteSpace(user) ? null : user;
    }

    /// <summary>
    /// The actor to audit under; the <paramref name="operatorText"/> itself when it is not valid text
    /// (so the command's own check reports it as missing or malformed).
    /// </summary>
    public static string Of(string brokerUser, string? operatorText) =>
        OperatorInput.IsText(operatorText) ? $"broker:{brokerUser} (--operator {operatorText})" : operatorText ?? string.Empty;

    /// <summary>The refusal for a request without a validated broker user, or null.</summary>
    public static OperatorCommandResult? Refusal(string? brokerUser) =>
        string.IsNullOrWhiteSpace(brokerUser) ? OperatorResults.Bad(Unauthenticated) : null;
}
