using KcryptPush.Contracts.V1;
using KcryptPush.Registrar.Enrolment;
using MassTransit;

namespace KcryptPush.Registrar.Consumers;

/// <summary>RegisterNode (request) → CredentialChallenge or EnrolmentRejected (response).</summary>
public sealed class RegisterNodeConsumer(EnrolmentService enrolment) : IConsumer<RegisterNode>
{
    /// <inheritdoc/>
    public async Task Consume(ConsumeContext<RegisterNode> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        RegistrationOutcome outcome = enrolment.Register(context.Message);
        if (outcome.Challenge is { } challenge)
        {
            await context.RespondAsync(challenge).ConfigureAwait(false);
        }
        else
        {
            await context.RespondAsync(outcome.Rejection!).ConfigureAwait(false);
        }
    }
}
