using KcryptPush.Messaging;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KcryptPush.Verifier.Tests;

[Trait("Category", "Unit")]
public sealed class BusConfigurationTests
{
    [Fact]
    public void The_bus_of_every_service_never_reports_usage_telemetry_to_masstransit()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddKcryptPushBus(new ConfigurationBuilder().Build());
        using ServiceProvider provider = services.BuildServiceProvider();

        Assert.False(provider.GetRequiredService<IOptions<UsageTelemetryOptions>>().Value.Enabled);
    }
}
