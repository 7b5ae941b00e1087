using System.Runtime.CompilerServices;

namespace KcryptPush.Tests;

/// <summary>
/// Every verifier and registrar a test starts (in process or as a child, which inherits the
/// environment) listens on a free loopback port: test classes run in parallel, and two services on
/// the default 127.0.0.1:9464/9465 would fail to bind. A test that wants a given address passes
/// <c>--http</c> or its own <c>KCRYPTPUSH_HTTP</c>, which win over this.
/// </summary>
internal static class TestHttpListener
{
    public const string Variable = "KCRYPTPUSH_HTTP";

#pragma warning disable CA2255 // a test assembly is the program here; the variable must be set before any test starts a service
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void UseFreePorts()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Variable)))
        {
            Environment.SetEnvironmentVariable(Variable, "127.0.0.1:0");
        }
    }
}
