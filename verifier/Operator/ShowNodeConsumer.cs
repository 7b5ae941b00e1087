using KcryptPush.Contracts.V1;
using MassTransit;

namespace KcryptPush.Verifier.Operator;

/// <summary>Answers <see cref="ShowNode"/> with <see cref="NodeDetails"/>, or an <see cref="OperatorCommandResult"/> for a malformed hash or an unknown node.</summary>
public sealed class ShowNodeConsumer(NodeOperations operations) : IConsumer<ShowNode>
{
    /// <inheritdoc/>
    public async Task Consume(ConsumeContext<ShowNode> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        string hash = context.Message.TpmHash;
        if (!OperatorInput.IsTpmHash(hash))
        {
            await context.RespondAsync(OperatorResults.Bad($"a TPM hash is 64 lowercase hex digits, not '{hash}'")).ConfigureAwait(false);
            return;
        }

        if (operations.Show(hash) is { } details)
        {
            await context.RespondAsync(details).ConfigureAwait(false);
            return;
        }

        await context.RespondAsync(OperatorResults.Unknown(hash)).ConfigureAwait(false);
    }
}
