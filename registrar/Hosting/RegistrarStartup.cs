using KcryptPush.Registrar.Enrolment;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace KcryptPush.Registrar.Hosting;

/// <summary>
/// Opens the store and loads the EK CAs when the service starts (not at the first message), so a
/// bad path or certificate fails the start and <c>nodes list</c> finds the file at once.
/// </summary>
internal sealed class RegistrarStartup(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = services.GetRequiredService<EnrolmentService>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
