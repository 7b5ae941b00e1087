namespace KcryptPush.Agent.Cli;

/// <summary>DESIGN.md exit codes: 0 success, 1 a failed operation, 2 usage or bad input.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failed = 1;
    public const int Usage = 2;
}
