using System.Reflection;

namespace KcryptPush.Tests;

/// <summary>
/// Every test of this assembly carries exactly one <c>Category</c> trait, Unit, Integration or
/// Containers, so that <c>dotnet test --filter Category=Unit</c> runs the fast tests and nothing
/// is left out of every filter. Compiled into each test project (tests/Shared), so it checks the
/// assembly it runs in.
/// </summary>
[Trait("Category", "Unit")]
public sealed class CategoryTraitTests
{
    private static readonly string[] Categories = ["Unit", "Integration", "Containers"];

    [Fact]
    public void Every_test_class_has_one_known_category()
    {
        var problems = new List<string>();
        foreach (Type type in typeof(CategoryTraitTests).Assembly.GetTypes().Where(t => t is { IsClass: true, IsAbstract: false } && HasTests(t)))
        {
            // A class's traits are its own and its base classes' (a contract test's store classes
            // inherit the base's facts and carry the trait themselves).
            string[] categories = [.. Lineage(type).SelectMany(CategoriesOf)];
            if (categories.Length != 1 || !Categories.Contains(categories[0], StringComparer.Ordinal))
            {
                problems.Add($"{type.FullName}: Category {(categories.Length == 0 ? "missing" : string.Join(", ", categories))}");
            }
        }

        Assert.True(problems.Count == 0, $"test classes without exactly one of [Trait(\"Category\", {string.Join("|", Categories)})]:\n{string.Join("\n", problems)}");
    }

    private static bool HasTests(Type type) =>
        type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static).Any(m => m.GetCustomAttributes<FactAttribute>(inherit: true).Any());

    private static IEnumerable<Type> Lineage(Type type)
    {
        for (Type? t = type; t is not null && t != typeof(object); t = t.BaseType)
        {
            yield return t;
        }
    }

    // TraitAttribute keeps its name and value only as constructor arguments.
    private static IEnumerable<string> CategoriesOf(Type type) => type.GetCustomAttributesData()
        .Where(a => a.AttributeType == typeof(TraitAttribute) && a.ConstructorArguments is [{ Value: "Category" }, _])
        .Select(a => a.ConstructorArguments[1].Value as string ?? "(null)");
}
