namespace KcryptPush.Bench.Transport;

/// <summary>The responder process (<c>bench transport-responder</c>): says "ready" on stdout, serves until stdin closes.</summary>
internal static class FloorChild
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args is not [("masstransit" or "masstransit-indented" or "rabbitmq") and var kind, var broker, var queue])
        {
            Console.Error.WriteLine("usage: bench transport-responder masstransit|masstransit-indented|rabbitmq BROKER_URI QUEUE");
            return 2;
        }

        await (kind == "rabbitmq"
            ? FloorRabbitResponder.RunAsync(broker, queue, 32)
            : FloorMassTransitResponder.RunAsync(broker, queue, indented: kind == "masstransit-indented"));
        return 0;
    }

    public static async Task ServeUntilStdinClosesAsync()
    {
        Console.Out.WriteLine("ready");
        Console.Out.Flush();
        while (await Console.In.ReadLineAsync() is not null)
        {
        }
    }
}
