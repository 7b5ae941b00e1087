using KcryptPush.Contracts.V1;
using KcryptPush.Messaging;
using System.Text.Json;
using MassTransit;
using MassTransit.Serialization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KcryptPush.Bench.Transport;

/// <summary>Answers each QuoteSubmitted with a pass, as QuoteSubmittedConsumer does after its pipeline.</summary>
public sealed class FloorQuoteConsumer : IConsumer<QuoteSubmitted>
{
    /// <inheritdoc/>
    public Task Consume(ConsumeContext<QuoteSubmitted> context) => context.RespondAsync(FloorMessages.Pass(context.Message));
}

/// <summary>
/// The MassTransit side of the floor: a bus set up exactly as the verifier's (AddKcryptPushBus:
/// publisher confirms, retry, in-memory outbox, prefetch 32) with one consumer that only answers.
/// </summary>
internal static class FloorMassTransitResponder
{
    public static async Task RunAsync(string broker, string queue, bool indented)
    {
        IConfiguration config = new ConfigurationBuilder().AddInMemoryCollection([KeyValuePair.Create<string, string?>("Broker:Uri", broker)]).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddKcryptPushBus(config, x => x.AddConsumer<FloorQuoteConsumer>().Endpoint(e =>
        {
            e.Name = queue;
            e.Temporary = true;
        }));
        await using ServiceProvider provider = services.BuildServiceProvider();
        IBusControl bus = provider.GetRequiredService<IBusControl>();
        if (indented)
        {
            // MassTransit's default, which KcryptPushBus turns off (CompactJson): the A/B of that change.
            SystemTextJsonMessageSerializer.Options = new JsonSerializerOptions(SystemTextJsonMessageSerializer.Options) { WriteIndented = true };
        }

        await bus.StartAsync();
        try
        {
            await FloorChild.ServeUntilStdinClosesAsync();
        }
        finally
        {
            await bus.StopAsync();
        }
    }
}
