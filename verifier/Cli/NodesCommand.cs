using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Operator;
using KcryptPush.Verifier.Store;
using MassTransit;

namespace KcryptPush.Verifier.Cli;

/// <summary>
/// <c>kcrypt-push-verifier nodes list|show|set-pcr|set-ak|set-boot-policy|set-secret|quarantine|release|delete</c>:
/// operator commands sent to the running verifier over the broker (request/response on
/// <c>kcrypt-push-verifier-operator</c>). Exit codes: 0 success; 1 failed operation, unknown node or
/// verifier unreachable; 2 usage or bad input. Failures are one line on stderr.
/// </summary>
internal static class NodesCommand
{
    public static Command Create(TextReader? input = null)
    {
        var o = new NodesOptions();
        var nodes = new Command("nodes",
            "Operator commands against the running verifier over the broker: list, show, PCR and AK policy (selective enrollment), "
            + "measured-boot policy, partition secrets, quarantine, release, delete. Exit 0 success, 1 failed/unknown node/verifier unreachable, 2 bad input.")
        {
            o.Broker, o.Timeout, o.Json, o.Operator,
        };
        nodes.Subcommands.Add(List(o));
        nodes.Subcommands.Add(Show(o));
        nodes.Subcommands.Add(SetPcr(o));
        nodes.Subcommands.Add(SetAk(o));
        nodes.Subcommands.Add(SetBootPolicyCommand(o));
        nodes.Subcommands.Add(SetSecretCommand(o, input));
        nodes.Subcommands.Add(Quarantine(o));
        nodes.Subcommands.Add(Release(o));
        nodes.Subcommands.Add(Delete(o));
        return nodes;
    }

    private static Command List(NodesOptions o)
    {
        var db = new Option<string?>("--db")
        {
            Description = "read this verifier.db directly instead of asking the verifier (offline: only while the service is stopped, which holds the file)",
        };
        var list = new Command("list", "list the nodes: TPM hash, state, last attestation, verdict, host name (--json: array of {tpmHash, hostname, state, ...})") { db };
        list.SetAction((parse, ct) => Execute(parse, o, ct, async io =>
        {
            if (parse.GetValue(db) is { Length: > 0 } path)
            {
                return NodesOffline.List(path, io.Json, io.Out, io.Err);
            }

            await using NodesClient client = await io.ConnectAsync().ConfigureAwait(false);
            Response<NodeList, OperatorCommandResult> r = await client.AskAsync<ListNodes, NodeList, OperatorCommandResult>(new ListNodes()).ConfigureAwait(false);
            if (r.Is(out Response<NodeList>? list))
            {
                if (io.Json)
                {
                    io.Out.WriteLine(NodesOutput.Json(list!.Message.Nodes));
                }
                else
                {
                    NodesOutput.List(list!.Message, io.Out);
                }

                return 0;
            }

            return Other(r, io);
        }));
        return list;
    }

    private static Command Show(NodesOptions o)
    {
        var hash = Hash();
        var show = new Command("show", "show one node: state, AK and PCR policy, secret labels (never values), history and audit trail") { hash };
        show.SetAction((parse, ct) => Execute(parse, o, ct, async io =>
        {
            string tpmHash = NodesArguments.Hash(parse.GetValue(hash));
            await using NodesClient client = await io.ConnectAsync().ConfigureAwait(false);
            Response<NodeDetails, OperatorCommandResult> r = await client.AskAsync<ShowNode, NodeDetails, OperatorCommandResult>(new ShowNode(tpmHash)).ConfigureAwait(false);
            if (r.Is(out Response<NodeDetails>? details))
            {
                if (io.Json)
                {
                    io.Out.WriteLine(NodesOutput.Json(details!.Message));
                }
                else
                {
                    NodesOutput.Show(details!.Message, io.Out);
                }

                return 0;
            }

            return Other(r, io);
        }));
        return show;
    }

    private static Command SetPcr(NodesOptions o)
    {
        var hash = Hash();
        var selector = new Argument<string>("BANK:INDEX") { Description = "the PCR, e.g. sha256:7" };
        var value = new Argument<string?>("VALUE") { Description = "enforce this value (hex of the bank's digest size)", Arity = ArgumentArity.ZeroOrOne };
        var learn = new Option<bool>("--learn") { Description = "accept and store the next value (re-enrollment, audited)" };
        var skip = new Option<bool>("--skip") { Description = "never check this PCR" };
        var cmd = new Command("set-pcr", "set one PCR's policy: VALUE (enforce), --learn (empty: accept the next value) or --skip (omitted)")
        {
            hash, selector, value, learn, skip,
        };
        cmd.SetAction((parse, ct) => Execute(parse, o, ct, async io =>
        {
            string tpmHash = NodesArguments.Hash(parse.GetValue(hash));
            (string bank, int index) = NodesArguments.Selector(parse.GetValue(selector));
            string? given = parse.GetValue(value);
            bool isLearn = parse.GetValue(learn), isSkip = parse.GetValue(skip);
            if ((given is not null ? 1 : 0) + (isLearn ? 1 : 0) + (isSkip ? 1 : 0) != 1)
            {
                throw new CliInputException("set-pcr needs exactly one of VALUE, --learn, --skip");
            }

            (string mode, string? hex) = given is not null ? (PolicyModes.Enforce, NodesArguments.PcrValue(bank, given))
                : isLearn ? (PolicyModes.Learn, (string?)null) : (PolicyModes.Skip, null);
            return await Command(io, new SetPcrPolicy(tpmHash, bank, index, mode, hex, io.OperatorName)).ConfigureAwait(false);
        }));
        return cmd;
    }

    private static Command SetAk(NodesOptions o)
    {
        var hash = Hash();
        var learn = new Option<bool>("--learn") { Description = "accept the next AK the registrar enrols for this TPM (AK replacement; audited)" };
        var enforce = new Option<bool>("--enforce") { Description = "the AK must stay the one on record" };
        var skip = new Option<bool>("--skip") { Description = "never check the AK against a record" };
        var cmd = new Command("set-ak", "set the AK policy: --learn, --enforce or --skip") { hash, learn, enforce, skip };
        cmd.SetAction((parse, ct) => Execute(parse, o, ct, async io =>
        {
            string tpmHash = NodesArguments.Hash(parse.GetValue(hash));
            string[] modes = [.. new[] { (parse.GetValue(learn), PolicyModes.Learn), (parse.GetValue(enforce), PolicyModes.Enforce), (parse.GetValue(skip), PolicyModes.Skip) }
                .Where(m => m.Item1).Select(m => m.Item2)];
            if (modes.Length != 1)
            {
                throw new CliInputException("set-ak needs exactly one of --learn, --enforce, --skip");
            }

            return await Command(io, new SetAkPolicy(tpmHash, modes[0], io.OperatorName)).ConfigureAwait(false);
        }));
        return cmd;
    }

    private static Command SetBootPolicyCommand(NodesOptions o)
    {
        var hash = Hash();
        var file = new Argument<string?>("FILE") { Description = "a policy made by 'policy create' (validated before it is sent)", Arity = ArgumentArity.ZeroOrOne };
        var none = new Option<bool>("--none") { Description = "remove the node's own policy: the fleet default (Verifier:DefaultBootPolicy), if any, applies" };
        var cmd = new Command("set-boot-policy",
            "attach a measured-boot policy to the node, replacing the fleet default for it, or --none to remove it; "
            + "checked on every attestation (boot-policy-violation names the rule and the event)")
        {
            hash, file, none,
        };
        cmd.SetAction((parse, ct) => Execute(parse, o, ct, io =>
        {
            string tpmHash = NodesArguments.Hash(parse.GetValue(hash));
            string? path = parse.GetValue(file);
            bool remove = parse.GetValue(none);
            if ((path is not null) == remove)
            {
                throw new CliInputException("set-boot-policy needs exactly one of FILE, --none");
            }

            // Validated here (a bad file is exit 2 and nothing is sent) and again by the verifier.
            string? json = path is null ? null : KcryptPush.Attestation.BootPolicy.BootPolicyJson.Write(PolicyFile.Load(path));
            return Command(io, new SetBootPolicy(tpmHash, json, io.OperatorName));
        }));
        return cmd;
    }

    private static Command SetSecretCommand(NodesOptions o, TextReader? input)
    {
        var hash = Hash();
        var label = new Argument<string>("LABEL") { Description = "the partition label, e.g. COS_PERSISTENT" };
        var knownVerifiers = new Option<string?>("--known-verifiers")
        {
            Description = $"file of pinned verifier keys (env {KnownVerifiers.EnvironmentVariable}; default ~/.config/kcrypt-push/known_verifiers); the first use pins the key, a different key later is refused",
        };
        var fingerprint = new Option<string?>("--verifier-fingerprint")
        {
            Description = "the key the verifier must have, as 'kcrypt-push-verifier secret-key' prints it on the verifier's host (SHA256:...); replaces the pin when it matches",
        };
        var cmd = new Command("set-secret",
            "set a partition secret: the passphrase is the first line of stdin; it is encrypted to the verifier's key (ECDH P-256, HKDF-SHA256, AES-GCM) before it leaves, "
            + "and only to a key pinned in known_verifiers (first use pins it) or named by --verifier-fingerprint; the node may be one that has not enrolled yet (the secret waits for its first passing attestation)")
        {
            hash, label, knownVerifiers, fingerprint,
        };
        cmd.SetAction((parse, ct) => Execute(parse, o, ct, async io =>
        {
            string tpmHash = NodesArguments.Hash(parse.GetValue(hash));
            string name = parse.GetValue(label) ?? "";
            if (!OperatorInput.IsText(name))
            {
                throw new CliInputException($"LABEL '{name}' must be 1..{OperatorInput.MaxTextLength} characters without control characters");
            }

            string? expected = parse.GetValue(fingerprint);
            if (expected is not null && !KeyFingerprint.IsWellFormed(expected))
            {
                throw new CliInputException($"--verifier-fingerprint '{expected}' is not {KeyFingerprint.Prefix} followed by 43 base64 characters");
            }

            // Read before connecting: a malformed pin file is bad input, found before anything is asked.
            KnownVerifiers pins = KnownVerifiers.Load(KnownVerifiers.Resolve(parse.GetValue(knownVerifiers)));
            string line = (input ?? Console.In).ReadLine()?.TrimEnd('\r') ?? "";
            byte[] passphrase = Encoding.UTF8.GetBytes(line);
            try
            {
                if (passphrase.Length == 0)
                {
                    throw new CliInputException("the passphrase (first line of stdin) is empty");
                }

                if (passphrase.Length > SecretTransport.MaxSecretSize)
                {
                    throw new CliInputException($"the passphrase is longer than {SecretTransport.MaxSecretSize} bytes");
                }

                await using NodesClient client = await io.ConnectAsync().ConfigureAwait(false);
                Response<SecretKey, OperatorCommandResult> key = await client.AskAsync<GetSecretKey, SecretKey, OperatorCommandResult>(new GetSecretKey()).ConfigureAwait(false);
                if (!key.Is(out Response<SecretKey>? verifierKey))
                {
                    return Other(key, io);
                }

                byte[] publicKey = verifierKey!.Message.PublicKey ?? [];
                string actual = KeyFingerprint.Of(publicKey);
                PinCheck pin = KnownVerifiers.Check(pins.Find(client.Endpoint), expected, actual);
                if (pin.Message is not null)
                {
                    io.Err.WriteLine($"kcrypt-push-verifier: {client.Endpoint}: {pin.Message}");
                }

                if (!pin.Trusted)
                {
                    return VerifierKeyRefused;
                }

                if (pin.Pin)
                {
                    pins.Pin(client.Endpoint, actual);
                }

                SetSecret sealedSecret;
                try
                {
                    sealedSecret = SecretTransport.Seal(publicKey, tpmHash, name, passphrase, io.OperatorName);
                }
                catch (CryptographicException e)
                {
                    throw new VerifierUnreachableException($"the verifier's secret key is not an ECDH P-256 public key: {e.Message}", e);
                }

                return await Command(io, sealedSecret, client).ConfigureAwait(false);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(passphrase);
            }
        }));
        return cmd;
    }

    private static Command Quarantine(NodesOptions o)
    {
        var hash = Hash();
        var reason = new Option<string>("--reason") { Description = "why (goes to the audit trail and the NodeQuarantined event)", Required = true };
        var cmd = new Command("quarantine", "quarantine the node now: no secret is released until 'release' and a passing attestation") { hash, reason };
        cmd.SetAction((parse, ct) => Execute(parse, o, ct, async io =>
        {
            string tpmHash = NodesArguments.Hash(parse.GetValue(hash));
            string why = parse.GetValue(reason) ?? "";
            if (!OperatorInput.IsText(why))
            {
                throw new CliInputException($"--reason must be 1..{OperatorInput.MaxTextLength} characters without control characters");
            }

            return await Command(io, new QuarantineNode(tpmHash, why.Trim(), io.OperatorName)).ConfigureAwait(false);
        }));
        return cmd;
    }

    private static Command Release(NodesOptions o)
    {
        var hash = Hash();
        var cmd = new Command("release", "lift a quarantine: the node is Pending until its next attestation") { hash };
        cmd.SetAction((parse, ct) => Execute(parse, o, ct, io =>
            Command(io, new ReleaseNode(NodesArguments.Hash(parse.GetValue(hash)), io.OperatorName))));
        return cmd;
    }

    private static Command Delete(NodesOptions o)
    {
        var hash = Hash();
        var cmd = new Command("delete", "forget the node: enrolment, policy, secrets, history (the audit trail stays); it must enrol again") { hash };
        cmd.SetAction((parse, ct) => Execute(parse, o, ct, io =>
            Command(io, new DeleteNode(NodesArguments.Hash(parse.GetValue(hash)), io.OperatorName))));
        return cmd;
    }

    /// <summary>Exit code of <c>set-secret</c> when the verifier's key is not the pinned or expected one: nothing was sent.</summary>
    internal const int VerifierKeyRefused = 3;

    private static Argument<string> Hash() => new("HASH") { Description = "the node's TPM hash (64 hex digits)" };

    private static async Task<int> Command<TRequest>(Io io, TRequest request, NodesClient? connected = null)
        where TRequest : class
    {
        NodesClient client = connected ?? await io.ConnectAsync().ConfigureAwait(false);
        try
        {
            Response<OperatorCommandResult> r = await client.AskAsync<TRequest, OperatorCommandResult>(request).ConfigureAwait(false);
            return Report(r.Message, io);
        }
        finally
        {
            if (connected is null)
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static int Other<T>(Response<T, OperatorCommandResult> r, Io io)
        where T : class =>
        r.Is(out Response<OperatorCommandResult>? result)
            ? Report(result!.Message, io)
            : throw new VerifierUnreachableException("the verifier answered with an unexpected message");

    private static int Report(OperatorCommandResult r, Io io)
    {
        if (io.Json)
        {
            io.Out.WriteLine(NodesOutput.Json(r));
        }

        if (r.Succeeded)
        {
            if (!io.Json)
            {
                io.Out.WriteLine($"ok: {r.Message}");
            }

            return 0;
        }

        io.Err.WriteLine($"kcrypt-push-verifier: {r.Code}: {r.Message}");
        return r.Code == OperatorResults.Invalid ? VerifierCli.BadInput : 1;
    }

    private static async Task<int> Execute(ParseResult parse, NodesOptions o, CancellationToken cancellationToken, Func<Io, Task<int>> body)
    {
        TextWriter stderr = parse.InvocationConfiguration.Error;
        try
        {
            var io = new Io(parse, o, cancellationToken);
            return await body(io).ConfigureAwait(false);
        }
        catch (CliInputException e)
        {
            stderr.WriteLine($"kcrypt-push-verifier: {e.Message}");
            return VerifierCli.BadInput;
        }
        catch (VerifierUnreachableException e)
        {
            stderr.WriteLine($"kcrypt-push-verifier: {e.Message}");
            return 1;
        }
    }

    private sealed class NodesOptions
    {
        public Option<string?> Broker { get; } = new("--broker")
        {
            Description = "broker URI amqp://user:pass@host:port/vhost or amqps://... (env KCRYPTPUSH_BROKER; default amqp://guest:guest@127.0.0.1:5672/)",
            Recursive = true,
        };

        public Option<string?> Timeout { get; } = new("--timeout")
        {
            Description = "how long to wait for the broker and the verifier's answer, e.g. 10s (default 10s)",
            Recursive = true,
        };

        public Option<bool> Json { get; } = new("--json") { Description = "print machine-readable JSON", Recursive = true };

        public Option<string?> Operator { get; } = new("--operator")
        {
            Description = "who is acting, for the audit trail (default $USER, else 'operator')",
            Recursive = true,
        };
    }

    private sealed class Io(ParseResult parse, NodesOptions o, CancellationToken cancellationToken)
    {
        private readonly TimeSpan _timeout = NodesArguments.Timeout(parse.GetValue(o.Timeout));

        public TextWriter Out { get; } = parse.InvocationConfiguration.Output;

        public TextWriter Err { get; } = parse.InvocationConfiguration.Error;

        public bool Json { get; } = parse.GetValue(o.Json);

        public string OperatorName { get; } = NodesArguments.Operator(parse.GetValue(o.Operator));

        public Task<NodesClient> ConnectAsync() => NodesClient.ConnectAsync(parse.GetValue(o.Broker), _timeout, cancellationToken);
    }
}
