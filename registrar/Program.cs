using KcryptPush.Registrar.Cli;

return RegistrarCli.Invoke(args);
