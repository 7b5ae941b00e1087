using Microsoft.Extensions.Options;

namespace KcryptPush.Messaging;

/// <summary>
/// Start-up check of the TLS files (ValidateOnStart, like Broker:Uri): a missing, unreadable or
/// malformed PEM stops the service (or agent) with one message naming the option and the file, instead of a
/// broker connection that fails over and over later.
/// </summary>
public sealed class BrokerTlsOptionsValidation : IValidateOptions<BrokerOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, BrokerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            BrokerAddress.Parse(options.Uri);
        }
        catch (InvalidBrokerUriException)
        {
            return ValidateOptionsResult.Skip; // reported by the Broker:Uri check
        }

        try
        {
            BrokerTls.Load(options).Dispose();
            return ValidateOptionsResult.Success;
        }
        catch (InvalidBrokerTlsException e)
        {
            return ValidateOptionsResult.Fail(e.Message);
        }
    }
}
