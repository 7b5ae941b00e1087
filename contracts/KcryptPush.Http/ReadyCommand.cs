using System.CommandLine;
using System.Net.Http;
using System.Text.Json;
using KcryptPush.Contracts.Text;
using Microsoft.Extensions.Configuration;

namespace KcryptPush.Http;

/// <summary>
/// <c>PROGRAM ready [--http HOST:PORT]</c>: asks a running service's /readyz (at its configured
/// address, wildcards as loopback) and exits 0 when ready, 1 when not or unreachable (printing the
/// failing checks), 2 on bad input (address, off, a --timeout that is not a duration). For container healthchecks, where the image has no curl.
/// </summary>
public static class ReadyCommand
{
    /// <summary>Exit code: ready.</summary>
    public const int Ready = 0;

    /// <summary>Exit code: unready or unreachable.</summary>
    public const int NotReady = 1;

    /// <summary>Exit code: bad input (address, off, --timeout).</summary>
    public const int BadInput = 2;

    /// <summary>
    /// The command. <paramref name="configuration"/> builds the service's configuration from the
    /// command-line overrides (so <c>KCRYPTPUSH_HTTP</c> and appsettings.json apply as for <c>run</c>).
    /// </summary>
    public static Command Create(string program, string defaultListen, Func<IReadOnlyDictionary<string, string?>, IConfiguration> configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var http = new Option<string?>("--http")
        {
            Description = $"the service's HTTP address HOST:PORT (env KCRYPTPUSH_HTTP; default {defaultListen})",
        };
        var timeout = new Option<string>("--timeout")
        {
            Description = $"how long to wait for the answer (default 5s; {Durations.Examples}, a bare number is seconds)",
            DefaultValueFactory = _ => "5s",
        };
        var command = new Command("ready", "ask the running service's /readyz: exit 0 when ready, 1 when not (the failing checks are printed)")
        {
            http, timeout,
        };
        command.SetAction(async (parse, cancel) =>
        {
            TimeSpan wait;
            try
            {
                wait = Durations.Parse(parse.GetValue(timeout), "--timeout");
            }
            catch (FormatException e)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"{program}: {e.Message}").ConfigureAwait(false);
                return BadInput;
            }

            IConfiguration config = configuration(new Dictionary<string, string?> { [HttpOptions.ListenKey] = parse.GetValue(http) });
            HttpListenAddress address;
            try
            {
                address = HttpListenAddress.Parse(config[HttpOptions.ListenKey] is { Length: > 0 } l ? l : defaultListen);
            }
            catch (InvalidHttpConfigurationException e)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"{program}: {e.Message}").ConfigureAwait(false);
                return BadInput;
            }

            if (address.IsOff)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"{program}: the HTTP listener is off ({HttpOptions.ListenKey}): there is no /readyz to ask").ConfigureAwait(false);
                return BadInput;
            }

            return await AskAsync(program, new Uri(address.ClientUrl(), HealthEndpoints.Readyz), wait,
                parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancel).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>GETs <paramref name="url"/> and prints the verdict; returns the exit code.</summary>
    public static async Task<int> AskAsync(string program, Uri url, TimeSpan timeout, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        using var client = new HttpClient { Timeout = timeout };
        string body;
        int status;
        try
        {
            using HttpResponseMessage response = await client.GetAsync(url, cancel).ConfigureAwait(false);
            status = (int)response.StatusCode;
            body = await response.Content.ReadAsStringAsync(cancel).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            await stderr.WriteLineAsync($"{program}: {url} unreachable: {e.Message}").ConfigureAwait(false);
            return NotReady;
        }

        List<string> failing = [];
        try
        {
            using JsonDocument doc = JsonDocument.Parse(body);
            foreach (JsonElement check in doc.RootElement.GetProperty("checks").EnumerateArray())
            {
                if (!check.GetProperty("ready").GetBoolean())
                {
                    failing.Add($"{check.GetProperty("name").GetString()}: {check.GetProperty("detail").GetString()}");
                }
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            await stderr.WriteLineAsync($"{program}: {url} answered {status} with an unexpected body").ConfigureAwait(false);
            return NotReady;
        }

        if (status == 200 && failing.Count == 0)
        {
            await stdout.WriteLineAsync("ready").ConfigureAwait(false);
            return Ready;
        }

        await stdout.WriteLineAsync($"unready ({status}): {string.Join("; ", failing)}").ConfigureAwait(false);
        return NotReady;
    }
}
