using KcryptPush.Integration.Tests.Fixtures;

namespace KcryptPush.Integration.Tests.Enrolment;

/// <summary>
/// One broker, <see cref="TpmCount"/> swtpm instances, and registrar + verifier processes whose
/// EK CA directory trusts every instance's local CA. Shared by the tests of one class.
/// </summary>
public sealed class EnrolmentClassFixture : IAsyncLifetime
{
    public const int TpmCount = 5;

    public RabbitMqFixture Broker { get; } = new();

    public SwtpmPool Tpms { get; private set; } = null!;

    public KcryptPushServices Services { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Task<SwtpmPool> tpms = Task.Run(() => SwtpmPool.Start(TpmCount));
        await Broker.InitializeAsync();
        Tpms = await tpms;
        Services = new KcryptPushServices(Broker);
        await Services.StartAsync(SwtpmPool.CaDirectory(Services.Directory, [.. Tpms.Instances]));
    }

    public async Task DisposeAsync()
    {
        Services?.Dispose();
        Tpms?.Dispose();
        await Broker.DisposeAsync();
    }
}
