using KcryptPush.Verifier.Cli;

return VerifierCli.Run(args, Console.Out, Console.Error);
