using System.Diagnostics;
using System.Text.Json;

namespace KcryptPush.Integration.Tests.Fixtures;

/// <summary>
/// The registrar and the verifier as real processes (<c>kcrypt-push-registrar run</c>,
/// <c>kcrypt-push-verifier run</c>) on one broker, each with its LiteDB file in a private
/// directory; their stores are read with their own <c>nodes list/show --json</c> commands (the
/// verifier's from a snapshot of its file: a running verifier holds verifier.db, LiteDB direct mode).
/// </summary>
public sealed class KcryptPushServices : IDisposable
{
    public const string RegistrarQueue = "kcrypt-push-registrar";
    public const string VerifierQueue = "kcrypt-push-verifier-enrolment";

    private readonly RabbitMqFixture _broker;

    public KcryptPushServices(RabbitMqFixture broker)
    {
        _broker = broker;
        Directory = System.IO.Directory.CreateTempSubdirectory("kcp-it-services-").FullName;
    }

    public string Directory { get; }

    /// <summary>The broker URI the registrar runs with (the admin's unless a role user is set).</summary>
    public string? RegistrarBrokerUri { get; set; }

    /// <summary>The broker URI the verifier runs with (the admin's unless a role user is set).</summary>
    public string? VerifierBrokerUri { get; set; }

    public string RegistrarDb => Path.Combine(Directory, "registrar.db");

    public string VerifierDb => Path.Combine(Directory, "verifier.db");

    public ServiceProcess? Registrar { get; private set; }

    public ServiceProcess? Verifier { get; private set; }

    /// <summary>Starts the registrar with <paramref name="ekCaDir"/>; <paramref name="environment"/> adds e.g. <c>KCRYPTPUSH_Registrar__AllowedTpmHashes__0</c>.</summary>
    public ServiceProcess StartRegistrar(string ekCaDir, bool requireEkCertificate = true, IReadOnlyDictionary<string, string?>? environment = null)
    {
        Registrar = ServiceProcess.Start("registrar", "dotnet",
            [KcryptPushBinaries.Registrar, "run", "--broker", RegistrarBrokerUri ?? _broker.Uri, "--db", RegistrarDb, "--ek-ca-dir", ekCaDir,
                "--require-ek-cert", requireEkCertificate ? "true" : "false"],
            environment);
        return Registrar;
    }

    public ServiceProcess StartVerifier(IReadOnlyDictionary<string, string?>? environment = null)
    {
        Verifier = ServiceProcess.Start("verifier", "dotnet", [KcryptPushBinaries.Verifier, "run", "--broker", VerifierBrokerUri ?? _broker.Uri, "--db", VerifierDb], environment);
        return Verifier;
    }

    /// <summary>Both services, and waits until both queues have their consumer (so no event is published to an unbound exchange).</summary>
    public async Task StartAsync(string ekCaDir, bool requireEkCertificate = true, IReadOnlyDictionary<string, string?>? registrarEnvironment = null,
        IReadOnlyDictionary<string, string?>? verifierEnvironment = null)
    {
        StartRegistrar(ekCaDir, requireEkCertificate, registrarEnvironment);
        StartVerifier(verifierEnvironment);
        await _broker.WaitForConsumersAsync(TimeSpan.FromSeconds(60), RegistrarQueue, VerifierQueue);
    }

    /// <summary><c>kcrypt-push-registrar nodes list --json --db</c> over a copy of the registrar's files (a running
    /// registrar holds registrar.db; empty before it stored anything).</summary>
    public JsonElement[] RegistrarNodes() => File.Exists(RegistrarDb)
        ? OnRegistrarCopy(db => Json(Run(KcryptPushBinaries.Registrar, "nodes", "list", "--json", "--db", db)).EnumerateArray().ToArray())
        : [];

    /// <summary><c>kcrypt-push-registrar nodes show HASH --json --db</c> over a copy of the registrar's files, or null when the registrar does not know it.</summary>
    public JsonElement? RegistrarNode(string tpmHash) => File.Exists(RegistrarDb)
        ? OnRegistrarCopy(db =>
        {
            ProcessResult r = ProcessRunner.Run("dotnet", [KcryptPushBinaries.Registrar, "nodes", "show", tpmHash, "--json", "--db", db]);
            return r.ExitCode == 0 ? Json(r.StdOut) : (JsonElement?)null;
        })
        : null;

    // The journal first, then the data file, as VerifierNodes copies the verifier's.
    private T OnRegistrarCopy<T>(Func<string, T> read)
    {
        string snapshot = System.IO.Directory.CreateTempSubdirectory("kcp-it-registrar-db-").FullName;
        try
        {
            string log = Path.Combine(Directory, "registrar-log.db");
            if (File.Exists(log))
            {
                ProcessRunner.RunChecked("cp", [log, snapshot]); // cp: no advisory lock taken or honoured
            }

            ProcessRunner.RunChecked("cp", [RegistrarDb, snapshot]);
            return read(Path.Combine(snapshot, "registrar.db"));
        }
        finally
        {
            System.IO.Directory.Delete(snapshot, recursive: true);
        }
    }

    /// <summary>
    /// <c>kcrypt-push-verifier nodes list --json --db</c> over a copy of the verifier's files (empty before the
    /// verifier stored anything): the journal first, then the data file, so the copy holds every committed
    /// transaction (a checkpoint between the two copies only moves pages the journal still has).
    /// </summary>
    public JsonElement[] VerifierNodes()
    {
        if (!File.Exists(VerifierDb))
        {
            return [];
        }

        string snapshot = System.IO.Directory.CreateTempSubdirectory("kcp-it-verifier-db-").FullName;
        try
        {
            string log = Path.Combine(Directory, "verifier-log.db");
            if (File.Exists(log))
            {
                ProcessRunner.RunChecked("cp", [log, snapshot]); // cp: no advisory lock taken or honoured
            }

            ProcessRunner.RunChecked("cp", [VerifierDb, snapshot]);
            return Json(Run(KcryptPushBinaries.Verifier, "nodes", "list", "--json", "--db", Path.Combine(snapshot, "verifier.db"))).EnumerateArray().ToArray();
        }
        finally
        {
            System.IO.Directory.Delete(snapshot, recursive: true);
        }
    }

    /// <summary>Polls the verifier's store until it holds <paramref name="tpmHash"/>.</summary>
    public async Task<JsonElement> WaitForVerifierNodeAsync(string tpmHash, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            JsonElement? node = VerifierNodes().Cast<JsonElement?>().FirstOrDefault(n => n!.Value.GetProperty("tpmHash").GetString() == tpmHash);
            if (node is { } found)
            {
                return found;
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"the verifier did not store {tpmHash} within {timeout}:\n{Verifier?.Output}");
            }

            await Task.Delay(250);
        }
    }

    public void Dispose()
    {
        Registrar?.Dispose();
        Verifier?.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string Run(string dll, params string[] args) => ProcessRunner.RunChecked("dotnet", [dll, .. args]).StdOut;

    private static JsonElement Json(string text)
    {
        using JsonDocument doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }
}
