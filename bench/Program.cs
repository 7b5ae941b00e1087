using BenchmarkDotNet.Running;
using KcryptPush.Bench;
using KcryptPush.Bench.Load;

// `load ...` runs the load generator against a running verifier, `transport ...` the message path's
// floor (MassTransit against RabbitMQ.Client alone, no verifier), `store ...` the verifier's store in
// process, `plot ...` draws load reports; anything else goes to BenchmarkDotNet.
if (args is ["load", .. var rest])
{
    return LoadOptions.Parse(rest, BenchData.TestData("eventlogs", "gcp-ubuntu2104-nosb.bin")) is { } options
        ? await LoadGenerator.RunAsync(options)
        : 2;
}

if (args is ["transport", .. var transportArgs])
{
    return await KcryptPush.Bench.Transport.TransportFloor.RunAsync(transportArgs);
}

if (args is ["transport-responder", .. var responderArgs])
{
    return await KcryptPush.Bench.Transport.FloorChild.RunAsync(responderArgs);
}

if (args is ["plot", .. var plotArgs])
{
    return KcryptPush.Bench.Plot.LoadPlot.Run(plotArgs);
}

if (args is ["store", .. var storeArgs])
{
    return KcryptPush.Bench.Store.StoreLoad.Run(storeArgs);
}

BenchmarkSwitcher.FromAssembly(typeof(BenchData).Assembly).Run(args);
return 0;
