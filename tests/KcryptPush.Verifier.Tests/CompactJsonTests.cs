using System.Text.Json;
using KcryptPush.Contracts.V1;
using KcryptPush.Messaging;
using MassTransit;
using MassTransit.Serialization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KcryptPush.Verifier.Tests;

/// <summary>
/// What every service's bus writes: compact JSON. MassTransit indents by default, which nearly
/// doubled a steady AttestationResult (its next challenge lists 24 PCRs per bank, one a line).
/// </summary>
[Trait("Category", "Unit")]
public sealed class CompactJsonTests
{
    private static readonly PcrBankSelection[] Selection =
        [new("sha1", [.. Enumerable.Range(0, 24)]), new("sha256", [.. Enumerable.Range(0, 24)])];

    private static readonly AttestationResult Steady = new(
        Guid.Parse("0f8a5c3e-6b1d-4e2f-9a7c-1d2e3f4a5b6c"), new string('a', 64), AttestationVerdicts.Pass, [],
        new Challenge(Guid.Parse("1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d"), new string('a', 64), new byte[32], Selection,
            new DateTimeOffset(2026, 12, 8, 0, 0, 0, TimeSpan.Zero)),
        false, null, null);

    [Fact]
    public async Task A_configured_bus_writes_a_steady_answer_without_indentation_and_it_reads_back_the_same()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddKcryptPushBus(new ConfigurationBuilder().Build());
        await using ServiceProvider provider = services.BuildServiceProvider();
        _ = provider.GetRequiredService<IBusControl>(); // configured, not started: no broker needed

        string json = JsonSerializer.Serialize(Steady, SystemTextJsonMessageSerializer.Options);
        Assert.DoesNotContain('\n', json);
        string indented = JsonSerializer.Serialize(Steady, new JsonSerializerOptions(SystemTextJsonMessageSerializer.Options) { WriteIndented = true });
        Assert.True(json.Length * 3 < indented.Length * 2, $"compact {json.Length} bytes, indented {indented.Length}");

        AttestationResult back = JsonSerializer.Deserialize<AttestationResult>(json, SystemTextJsonMessageSerializer.Options)!;
        Assert.Equal(Steady.NextChallenge!.Selection.Select(s => (s.Bank, string.Join(',', s.Pcrs))), back.NextChallenge!.Selection.Select(s => (s.Bank, string.Join(',', s.Pcrs))));
        Assert.Equal(Steady.NextChallenge.ExpiresAt, back.NextChallenge.ExpiresAt);
        Assert.Equal(Steady with { Reasons = [], NextChallenge = null }, back with { Reasons = [], NextChallenge = null });
    }

    [Fact]
    public void Options_already_in_use_are_replaced_by_a_compact_copy_not_changed()
    {
        var used = new JsonSerializerOptions { WriteIndented = true };
        _ = JsonSerializer.Serialize(Steady, used); // in use: read-only from here
        JsonSerializerOptions compact = KcryptPushBus.CompactJson(used);
        Assert.NotSame(used, compact);
        Assert.False(compact.WriteIndented);
        Assert.True(used.WriteIndented);
        Assert.Same(compact, KcryptPushBus.CompactJson(compact));
    }
}
