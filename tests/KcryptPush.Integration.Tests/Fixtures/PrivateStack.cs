using KcryptPush.Tests;

namespace KcryptPush.Integration.Tests.Fixtures;

/// <summary>
/// A broker and swtpm instances of one test class's own, with the registrar and verifier left for the
/// test to start (<see cref="Services"/>) since each test class starts them its own way. Started and
/// stopped as the class's <see cref="IAsyncLifetime"/>.
/// </summary>
public sealed class PrivateStack(int tpmCount) : IAsyncLifetime
{
    public RabbitMqFixture Broker { get; } = new();

    public SwtpmPool Tpms { get; private set; } = null!;

    public KcryptPushServices Services { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Task<SwtpmPool> tpms = Task.Run(() => SwtpmPool.Start(tpmCount));
        await Broker.InitializeAsync();
        Tpms = await tpms;
        Services = new KcryptPushServices(Broker);
    }

    public async Task DisposeAsync()
    {
        Services?.Dispose();
        Tpms?.Dispose();
        await Broker.DisposeAsync();
    }
}
