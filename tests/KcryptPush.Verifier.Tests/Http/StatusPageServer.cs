using System.Net;
using KcryptPush.Verifier.Http;
using KcryptPush.Verifier.Operator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KcryptPush.Verifier.Tests.Http;

/// <summary>Kestrel on a free loopback port serving only <see cref="StatusPageEndpoints"/> over <paramref name="operations"/>.</summary>
internal sealed class StatusPageServer(WebApplication app, string baseUrl) : IAsyncDisposable
{
    /// <summary>e.g. <c>http://127.0.0.1:41234</c> (no trailing slash).</summary>
    public string BaseUrl { get; } = baseUrl;

    public static async Task<StatusPageServer> StartAsync(NodeOperations operations)
    {
        WebApplicationBuilder b = WebApplication.CreateSlimBuilder();
        b.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        b.Logging.ClearProviders();
        b.Services.AddSingleton(operations);
        WebApplication app = b.Build();
        StatusPageEndpoints.Map(app);
        await app.StartAsync();
        string url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new StatusPageServer(app, url.TrimEnd('/'));
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
