using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace KcryptPush.Messaging;

/// <summary>The console log format of every service: one line per entry (journald keeps it as one
/// record), UTC timestamps, and scopes, which carry the node (<c>node=TPM hash</c>).</summary>
public static class KcryptPushLogging
{
    /// <summary>Applies the <c>Logging</c> section of <paramref name="configuration"/> and the console format.</summary>
    public static ILoggingBuilder AddKcryptPushConsole(this ILoggingBuilder logging, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(logging);
        ArgumentNullException.ThrowIfNull(configuration);
        logging.AddConfiguration(configuration.GetSection("Logging"));
        logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
            o.IncludeScopes = true;
        });
        return logging;
    }
}
