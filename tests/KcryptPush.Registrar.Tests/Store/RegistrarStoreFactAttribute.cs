using Xunit.Abstractions;
using Xunit.Sdk;

namespace KcryptPush.Registrar.Tests.Store;

/// <summary>Implemented by a contract test class whose store needs a PostgreSQL server.</summary>
public interface INeedsPostgres;

/// <summary>
/// A fact of <see cref="RegistrarStoreContract"/>: the same test runs for every store, and for a class
/// that is <see cref="INeedsPostgres"/> it is reported skipped with the reason when no PostgreSQL
/// binaries are installed (an attribute on the base method cannot know the class, the discoverer does).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
[XunitTestCaseDiscoverer("KcryptPush.Registrar.Tests.Store.RegistrarStoreFactDiscoverer", "KcryptPush.Registrar.Tests")]
public sealed class RegistrarStoreFactAttribute : FactAttribute;

/// <summary>Discovers <see cref="RegistrarStoreFactAttribute"/> tests, skipping those of a PostgreSQL class without a server.</summary>
public sealed class RegistrarStoreFactDiscoverer(IMessageSink diagnosticMessageSink) : IXunitTestCaseDiscoverer
{
    /// <inheritdoc/>
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        ArgumentNullException.ThrowIfNull(discoveryOptions);
        ArgumentNullException.ThrowIfNull(testMethod);
        Type? type = (testMethod.TestClass.Class as IReflectionTypeInfo)?.Type;
        string? skip = type is not null && typeof(INeedsPostgres).IsAssignableFrom(type) ? PrivatePostgres.Missing : null;
        yield return skip is null
            ? new XunitTestCase(diagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod)
            : new XunitSkippedDataRowTestCase(diagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, $"SKIPPED: {skip}");
    }
}
