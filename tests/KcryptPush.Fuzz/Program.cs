using SharpFuzz;

namespace KcryptPush.Fuzz;

/// <summary>
/// SharpFuzz harness for afl-fuzz (README "Fuzzing"; scripts/fuzz.sh builds, instruments and runs it).
/// <list type="bullet">
/// <item><c>KcryptPush.Fuzz TARGET</c>: the fuzz loop (under afl-fuzz), or one run on stdin.</item>
/// <item><c>KcryptPush.Fuzz run TARGET FILE...</c>: each file once, in process; prints the exception
/// of a crashing input and exits 1 (to triage findings).</item>
/// <item><c>KcryptPush.Fuzz seeds-message DIR</c>: writes the QuoteSubmitted seed payloads made from
/// the real quote (tests/KcryptPush.Fuzz/seeds/message holds their output).</item>
/// </list>
/// TARGET is one of eventlog, attest, signature, public, message (see <see cref="Targets"/>).
/// </summary>
internal static class Program
{
    private const string Usage = "usage: KcryptPush.Fuzz TARGET | run TARGET FILE... | seeds-message DIR   (TARGET: eventlog, attest, signature, public, message)";

    public static int Main(string[] args)
    {
        if (args.Length == 1 && Targets.All.TryGetValue(args[0], out Action<byte[]>? target))
        {
            // Out of process: SharpFuzz runs the action in a child that it restarts after a crash,
            // so even a stack overflow or an access violation is reported as a crash to afl-fuzz.
            Fuzzer.OutOfProcess.Run(stream =>
            {
                using var buffer = new MemoryStream();
                stream.CopyTo(buffer);
                target(buffer.ToArray());
            });
            return 0;
        }

        if (args.Length >= 3 && args[0] == "run" && Targets.All.TryGetValue(args[1], out target))
        {
            int crashed = 0;
            foreach (string file in args.Skip(2))
            {
                try
                {
                    target(File.ReadAllBytes(file));
                    Console.WriteLine($"{file}: ok");
                }
                catch (Exception e)
                {
                    crashed++;
                    Console.WriteLine($"{file}: CRASH {e}");
                }
            }
            return crashed == 0 ? 0 : 1;
        }

        if (args.Length == 2 && args[0] == "seeds-message")
        {
            MessageSeeds.Write(args[1]);
            return 0;
        }

        Console.Error.WriteLine(Usage);
        return 2;
    }
}
