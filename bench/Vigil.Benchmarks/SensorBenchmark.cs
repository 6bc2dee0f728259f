using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Vigil.Detection;
using Vigil.Rules;
using Vigil.Sensor;

namespace Vigil.Benchmarks;

/// <summary>
/// Live sensor benchmark (Linux, root): starts the sensor and the detection engine as `vigil watch` runs them, then
/// launches a paced burst of short-lived processes named <c>vigil-probe</c>, started with posix_spawn so the generator
/// itself costs little, and reports how many execs the sensor captured out of how many were
/// started, and the exec-to-alert latency (kernel exec timestamp to the alert built on the consumer thread).
/// </summary>
internal static partial class SensorBenchmark
{
    private const string ProbeRule = """
        [metadata]
        creation_date = "2026/12/03"
        updated_date = "2026/12/03"

        [rule]
        author = ["Vigil benchmarks"]
        description = "Fires on every exec of the benchmark probe."
        name = "Benchmark Probe Exec"
        risk_score = 1
        rule_id = "00000000-0000-4000-8000-0000000be9c4"
        severity = "low"
        type = "eql"
        language = "eql"
        index = ["logs-cloud_defend.process*"]
        query = '''
        process where event.type == "start" and event.action == "exec" and process.name == "vigil-probe"
        '''
        """;

    public static int Run(int rate, int seconds)
    {
        if (!OperatingSystem.IsLinux())
        {
            Console.Error.WriteLine("sensor benchmark: Linux only");
            return 1;
        }
        if (SensorPrivileges.Check() is { } problem)
        {
            Console.Error.WriteLine($"sensor benchmark: {problem}");
            return 1;
        }
        var probeDir = Directory.CreateTempSubdirectory("vigil-probe-");
        var probe = Path.Combine(probeDir.FullName, "vigil-probe");
        var probeKind = WriteProbe(probe, ProbeLifetime);
        File.SetUnixFileMode(probe, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);

        var rules = RuleLoader.LoadString(ProbeRule, "probe.toml").Rules.Select(r => r.Rule);
        var detector = new LiveDetector(rules);
        var sensor = new ProcessSensor(new SensorOptions { IncludeForks = true });
        sensor.Start();

        var spawned = new ConcurrentDictionary<int, byte>();
        var captured = new ConcurrentDictionary<int, byte>();
        var latencies = new List<double>(rate * seconds);
        long alerts = 0;
        using var stop = new CancellationTokenSource();
        var consumer = new Thread(() =>
        {
            SensorScheduling.ApplyToCurrentThread(SensorThreadScheduling.Realtime);
            var batch = new List<Alert>();
            try
            {
                while (sensor.WaitForEvents(stop.Token))
                {
                    while (sensor.Events.TryRead(out var e))
                    {
                        if (e.Action == SensorEventAction.Exec)
                        {
                            // Compared with the spawned pids at the end: the exec can arrive before posix_spawn returns.
                            captured.TryAdd(e.ProcessId, 0);
                        }
                        batch.Clear();
                        detector.Process(e.Json.Span, batch, "sensor");
                        if (batch.Count > 0)
                        {
                            // The alert exists now: measure from the kernel's exec timestamp.
                            var ms = e.ElapsedSinceKernelEvent().TotalMilliseconds;
                            alerts += batch.Count;
                            latencies.Add(ms);
                        }
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        })
        { IsBackground = true, Name = "bench-consumer" };
        consumer.Start();

        var reaper = new Thread(() =>
        {
            while (!stop.IsCancellationRequested || spawned.Count > Volatile.Read(ref _reaped))
            {
                if (WaitPid(-1, out _, 0) > 0)
                {
                    Interlocked.Increment(ref _reaped);
                }
                else
                {
                    Thread.Sleep(1);
                }
            }
        })
        { IsBackground = true };
        reaper.Start();

        Console.WriteLine($"sensor benchmark: {rate:N0} execs/s for {seconds} s of {probe}, {probeKind} (receive thread: {sensor.Stats.ReceiveThreadScheduling})");
        var total = rate * seconds;
        var interval = Stopwatch.Frequency / (double)rate;
        var clock = Stopwatch.StartNew();
        var started = 0;
        var failed = 0;
        var argv = new[] { Marshal.StringToHGlobalAnsi("vigil-probe"), IntPtr.Zero };
        var envp = new[] { IntPtr.Zero };
        try
        {
            while (started + failed < total)
            {
                var due = (long)((started + failed) * interval);
                if (clock.ElapsedTicks < due)
                {
                    // Sleep rather than spin: on 2 cores a spinning generator would steal the CPU the sensor needs.
                    Thread.Sleep(1);
                    continue;
                }
                if (PosixSpawn(out var pid, probe, IntPtr.Zero, IntPtr.Zero, argv, envp) == 0)
                {
                    spawned.TryAdd(pid, 0);
                    started++;
                }
                else
                {
                    failed++;
                }
            }
        }
        finally
        {
            Marshal.FreeHGlobal(argv[0]);
        }
        var elapsed = clock.Elapsed.TotalSeconds;
        Thread.Sleep(1000);
        stop.Cancel();
        consumer.Join();
        var stats = sensor.Stats;
        sensor.DisposeAsync().AsTask().GetAwaiter().GetResult();
        probeDir.Delete(recursive: true);

        latencies.Sort();
        double P(double q) => latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)(q * latencies.Count))];
        Console.WriteLine($"  achieved rate     {started / elapsed:N0} execs/s ({started:N0} started, {failed} failed to start)");
        var capturedSpawned = spawned.Keys.Count(captured.ContainsKey);
        Console.WriteLine($"  execs captured    {capturedSpawned:N0} / {started:N0} ({100.0 * capturedSpawned / Math.Max(1, started):F2} %)");
        Console.WriteLine($"  alerts            {alerts:N0} ({100.0 * alerts / Math.Max(1, started):F2} % of execs; the rest exited before /proc could be read)");
        Console.WriteLine($"  exec-to-alert     p50 {P(0.50):F2} ms, p99 {P(0.99):F2} ms, max {(latencies.Count > 0 ? latencies[^1] : double.NaN):F2} ms");
        Console.WriteLine($"  sensor            overruns {stats.KernelOverruns}, lost {stats.LostMessages}, dropped {stats.ConsumerDrops}, enrichment failures {stats.EnrichmentFailures}, complete {stats.Complete}");
        return 0;
    }

    private static int _reaped;

    /// <summary>How long the static probe lives: a short-lived process, but long enough to be a process at all.</summary>
    private static readonly TimeSpan ProbeLifetime = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// Writes the probe program. On x86-64 it is a 145-byte static ELF that sleeps <paramref name="lifetime"/> and exits,
    /// so each exec costs the kernel's exec and nothing else: no dynamic loader, no libc start-up. /bin/true costs about
    /// half a millisecond of CPU per exec, which on 2 cores caps the load generator below the target rate. Elsewhere
    /// the probe is a copy of /bin/true.
    /// </summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    internal static string WriteProbe(string path, TimeSpan lifetime)
    {
        string kind;
        if (RuntimeInformation.ProcessArchitecture == Architecture.X64)
        {
            File.WriteAllBytes(path, StaticSleepExitElf(lifetime));
            kind = $"static x86-64 ELF living {lifetime.TotalMilliseconds:0.###} ms";
        }
        else
        {
            File.Copy("/bin/true", path);
            kind = "copy of /bin/true";
        }
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);
        return kind;
    }

    /// <summary>ELF64 header, one PT_LOAD program header, then: nanosleep(&amp;ts, NULL); exit(0); ts.</summary>
    internal static byte[] StaticSleepExitElf(TimeSpan lifetime)
    {
        const ulong baseAddress = 0x400000;
        const int headers = 64 + 56;
        byte[] code =
        [
            0x48, 0x8d, 0x3d, 0x12, 0x00, 0x00, 0x00, // lea rdi, [rip + 0x12]   (ts, right after the code)
            0x31, 0xf6,                               // xor esi, esi
            0xb8, 0x23, 0x00, 0x00, 0x00,             // mov eax, 35 (nanosleep)
            0x0f, 0x05,                               // syscall
            0xb8, 0x3c, 0x00, 0x00, 0x00,             // mov eax, 60 (exit)
            0x31, 0xff,                               // xor edi, edi
            0x0f, 0x05,                               // syscall
        ];
        var image = new byte[headers + code.Length + 16];
        var span = image.AsSpan();
        span[0] = 0x7f;
        "ELF"u8.CopyTo(span[1..]);
        span[4] = 2; // 64-bit
        span[5] = 1; // little-endian
        span[6] = 1; // ELF version
        BinaryPrimitives.WriteUInt16LittleEndian(span[16..], 2);       // ET_EXEC
        BinaryPrimitives.WriteUInt16LittleEndian(span[18..], 0x3e);    // EM_X86_64
        BinaryPrimitives.WriteUInt32LittleEndian(span[20..], 1);       // e_version
        BinaryPrimitives.WriteUInt64LittleEndian(span[24..], baseAddress + headers); // e_entry
        BinaryPrimitives.WriteUInt64LittleEndian(span[32..], 64);      // e_phoff
        BinaryPrimitives.WriteUInt16LittleEndian(span[52..], 64);      // e_ehsize
        BinaryPrimitives.WriteUInt16LittleEndian(span[54..], 56);      // e_phentsize
        BinaryPrimitives.WriteUInt16LittleEndian(span[56..], 1);       // e_phnum
        var ph = span[64..];
        BinaryPrimitives.WriteUInt32LittleEndian(ph, 1);               // PT_LOAD
        BinaryPrimitives.WriteUInt32LittleEndian(ph[4..], 5);          // PF_R | PF_X
        BinaryPrimitives.WriteUInt64LittleEndian(ph[16..], baseAddress); // p_vaddr
        BinaryPrimitives.WriteUInt64LittleEndian(ph[24..], baseAddress); // p_paddr
        BinaryPrimitives.WriteUInt64LittleEndian(ph[32..], (ulong)image.Length); // p_filesz
        BinaryPrimitives.WriteUInt64LittleEndian(ph[40..], (ulong)image.Length); // p_memsz
        BinaryPrimitives.WriteUInt64LittleEndian(ph[48..], 0x1000);    // p_align
        code.CopyTo(span[headers..]);
        var ts = span[(headers + code.Length)..];
        var ns = lifetime.Ticks * 100;
        BinaryPrimitives.WriteInt64LittleEndian(ts, ns / 1_000_000_000);
        BinaryPrimitives.WriteInt64LittleEndian(ts[8..], ns % 1_000_000_000);
        return image;
    }

    [LibraryImport("libc", EntryPoint = "posix_spawn", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int PosixSpawn(out int pid, string path, IntPtr fileActions, IntPtr attributes, IntPtr[] argv, IntPtr[] envp);

    [LibraryImport("libc", EntryPoint = "waitpid")]
    private static partial int WaitPid(int pid, out int status, int options);
}
