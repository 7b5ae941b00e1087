using KcryptPush.Agent.Attestation;
using KcryptPush.Agent.Bus;
using KcryptPush.Agent.Enrolment;
using KcryptPush.Contracts.V1;
using KcryptPush.Messaging;
using KcryptPush.Tpm.Transport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KcryptPush.Agent.Hosting;

/// <summary>Builds the agent's host for <c>run</c> (enrol, then stay alive) and <c>enroll</c> / <c>discovery.password</c> (the clients only).</summary>
public static class AgentHost
{
    /// <summary>Creates the host: configuration layers, console/journal logging, systemd integration, bus, enrolment.</summary>
    /// <param name="commandLine">Option values (configuration key → value; nulls skipped).</param>
    /// <param name="runService">True for <c>run</c>: the enrolment and watchdog services start with the host.</param>
    /// <param name="environment">The environment (null: the process environment).</param>
    /// <param name="configure">Extra registrations (tests replace <see cref="IAgentTpm"/>, for example).</param>
    /// <param name="logging">Extra logging setup (the <c>enroll</c> command quietens the console).</param>
    public static IHost Build(
        IEnumerable<KeyValuePair<string, string?>> commandLine,
        bool runService,
        IReadOnlyDictionary<string, string?>? environment = null,
        Action<IServiceCollection>? configure = null,
        Action<ILoggingBuilder>? logging = null)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            ApplicationName = "kcrypt-push-agent",
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddAgentSources(commandLine, environment);

        // Bad configuration is a usage error: report it in one line before anything starts.
        BrokerAddress.Parse(builder.Configuration[$"{BrokerOptions.Section}:Uri"] ?? BrokerOptions.DefaultUri);
        AgentSettings settings = builder.Configuration.GetSection(AgentSettings.Section).Get<AgentSettings>() ?? new AgentSettings();
        if (Problem(settings) is { } problem)
        {
            throw new AgentConfigurationException(problem);
        }

        builder.Logging.AddKcryptPushConsole(builder.Configuration);
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = runService ? LogLevel.None : LogLevel.Trace);
        logging?.Invoke(builder.Logging);

        // Type=notify: READY=1 when the host has started, i.e. after EnrolmentHostedService.StartAsync.
        builder.Services.AddSystemd();
        builder.Services.AddAgent(builder.Configuration);
        if (runService)
        {
            builder.Services.AddHostedService<EnrolmentHostedService>();
            builder.Services.AddHostedService<WatchdogService>();
            builder.Services.AddHostedService<PushLoopService>();
        }

        configure?.Invoke(builder.Services);
        return builder.Build();
    }

    /// <summary>Adds settings, TPM, registrar and verifier clients over the broker, enrolment and attestation.</summary>
    public static IServiceCollection AddAgent(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<AgentSettings>()
            .Bind(configuration.GetSection(AgentSettings.Section))
            .Validate(o => Problem(o) is null, "invalid Agent settings (see the log)")
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<AgentSettings>>().Value);
        services.TryAddSingleton<IAgentTpm>(sp =>
        {
            AgentSettings s = sp.GetRequiredService<AgentSettings>();
            return new TpmAgentTpm(s.Tpm, s.EkKind, s.AkKind, s.AkHandleValue);
        });
        services.TryAddSingleton<IRegistrarClient, BusRegistrarClient>();
        services.TryAddSingleton(sp =>
        {
            AgentSettings s = sp.GetRequiredService<AgentSettings>();
            return new EnrolmentSettings(s.EffectiveHostname, s.RetryMinDelay, s.RetryMaxDelay);
        });
        services.TryAddSingleton(sp => new Enroller(
            sp.GetRequiredService<IAgentTpm>(), sp.GetRequiredService<IRegistrarClient>(), sp.GetRequiredService<EnrolmentSettings>(),
            sp.GetRequiredService<ILogger<Enroller>>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<AgentEnrolment>();
        services.TryAddSingleton<IEvidenceTpm>(sp =>
        {
            AgentSettings s = sp.GetRequiredService<AgentSettings>();
            return new TpmEvidenceTpm(s.Tpm, s.EkKind, s.AkHandleValue);
        });
        services.TryAddSingleton<IVerifierClient, BusVerifierClient>();
        services.TryAddSingleton(sp =>
        {
            AgentSettings s = sp.GetRequiredService<AgentSettings>();
            return new PushSettings(s.IntervalValue, s.EventLog, s.RetryMinDelay, s.RetryMaxDelay) { BrokerRetryMaxDelay = s.BrokerRetryMaxDelay };
        });
        services.TryAddSingleton(sp => new Attestor(
            sp.GetRequiredService<IEvidenceTpm>(), sp.GetRequiredService<IVerifierClient>(), sp.GetRequiredService<ILogger<Attestor>>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp => new PushLoop(
            sp.GetRequiredService<Attestor>(), sp.GetRequiredService<IVerifierClient>(), sp.GetRequiredService<PushSettings>(),
            sp.GetRequiredService<ILogger<PushLoop>>(), sp.GetRequiredService<TimeProvider>()));

        services.AddAgentBus(configuration);
        return services;
    }

    /// <summary>What is wrong with <paramref name="s"/>, or null.</summary>
    public static string? Problem(AgentSettings s)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (!KcryptPush.Tpm.Client.EkKinds.TryParse(s.Ek, out _))
        {
            return $"Agent:Ek (--ek, KCRYPTPUSH_EK) '{s.Ek}' must be rsa, ecc or ecc384";
        }

        if (!AgentSettings.TryParseAk(s.Ak, out _))
        {
            return $"Agent:Ak '{s.Ak}' must be rsa, rsapss or ecc";
        }

        if (!AgentSettings.TryParseHandle(s.AkHandle, out _))
        {
            return $"Agent:AkHandle '{s.AkHandle}' must be a persistent handle 0x81xxxxxx";
        }

        try
        {
            TpmTransportFactory.Parse(s.Tpm);
        }
        catch (InvalidTpmUriException e)
        {
            return $"Agent:Tpm (--tpm, KCRYPTPUSH_TPM): {e.Message}";
        }

        if (!KcryptPush.Agent.Cli.Duration.TryParse(s.Interval, out _))
        {
            return $"Agent:Interval (--interval, KCRYPTPUSH_INTERVAL) '{s.Interval}' must be a duration such as 60s or 2m";
        }

        if (string.IsNullOrWhiteSpace(s.EventLog))
        {
            return "Agent:EventLog (--event-log, KCRYPTPUSH_EVENT_LOG) must name the binary event log";
        }

        if (s.BrokerRetryMaxDelay <= TimeSpan.Zero)
        {
            // Longer than Agent:RetryMaxDelay is allowed and means that one (Backoff.Next).
            return "Agent:BrokerRetryMaxDelay must be positive";
        }

        return s.RetryMinDelay > TimeSpan.Zero && s.RetryMaxDelay >= s.RetryMinDelay
            ? null
            : "Agent:RetryMinDelay must be positive and at most Agent:RetryMaxDelay";
    }
}
