using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Enrolment;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Bench.Store;

/// <summary>
/// <c>bench -- store --populate N --store litedb:PATH</c>: a verifier store with N enrolled nodes, each
/// written as a NodeEnrolled from the registrar writes it (<see cref="NodeEnrolment.Apply"/> in the
/// node's unit: the node and its "added" enrolment event), to measure the verifier's start-up, memory
/// and per-attestation cost against the size of the fleet (issue 10, item 5). Units are committed from
/// several threads, so the store's group commit writes many per transaction, as under real enrolment.
/// </summary>
internal static class StorePopulate
{
    public static int Run(string setting, int nodes, int threads)
    {
        using IVerifierStore store = VerifierStores.Open(setting, new VerifierStoreOptions());
        long done = 0;
        Stopwatch wall = Stopwatch.StartNew();
        DateTimeOffset enrolledAt = DateTimeOffset.UtcNow;
        long next = -1;
        void Enrol(int i)
        {
            // Sizes of a real RSA-2048 EK and ECC P-256 AK TPMT_PUBLIC (TPM 2.0 Part 2, 12.2.4), and a
            // SHA-256 TPM2B_NAME; the content is random: the store never parses them.
            var enrolled = new NodeEnrolled(
                TpmHash: Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes(i))),
                EkPublic: RandomNumberGenerator.GetBytes(316),
                AkPublic: RandomNumberGenerator.GetBytes(88),
                AkName: RandomNumberGenerator.GetBytes(34),
                Hostname: string.Create(CultureInfo.InvariantCulture, $"fleet-{i:D6}"),
                EnrolledAt: enrolledAt);
            using IVerifierUnit unit = store.BeginNode(enrolled.TpmHash);
            if (NodeEnrolment.Apply(unit, enrolled, DateTime.UtcNow))
            {
                unit.Commit();
            }

            long n = Interlocked.Increment(ref done);
            if (n % 10_000 == 0)
            {
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"store: {n} nodes enrolled, {wall.Elapsed.TotalSeconds:F1}s"));
            }
        }

        // Dedicated threads, not the pool: the pool adds threads slowly, and only units waiting
        // together share a commit.
        var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
        {
            for (long i = Interlocked.Increment(ref next); i < nodes; i = Interlocked.Increment(ref next))
            {
                Enrol((int)i);
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"store: {store.Description}: {nodes} nodes enrolled in {wall.Elapsed.TotalSeconds:F1}s ({nodes / wall.Elapsed.TotalSeconds:F0}/s)"));
        return 0;
    }
}
