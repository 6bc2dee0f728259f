using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Vigil.Nats.Tests;

/// <summary>
/// A real nats-server on loopback with JetStream in a temporary directory, killed when disposed. A missing binary fails the
/// test with the install command: these tests must never pass by not running.
/// </summary>
internal sealed class NatsServer : IDisposable
{
    private readonly string[] _args;
    private readonly StringBuilder _output = new();
    private Process? _process;

    private NatsServer(string name, int port, string storeDir, string[] args)
    {
        Name = name;
        Port = port;
        StoreDir = storeDir;
        _args = args;
    }

    public string Name { get; }

    public int Port { get; }

    public string StoreDir { get; }

    public string Url => $"nats://127.0.0.1:{Port}";

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static string Binary
    {
        get
        {
            var dirs = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Concat(["/usr/sbin", "/usr/bin", "/usr/local/bin"]);
            return dirs.Select(d => Path.Combine(d, "nats-server")).FirstOrDefault(File.Exists)
                ?? throw new InvalidOperationException(
                    "nats-server is not installed, so the NATS tests cannot run. Install it with 'apt-get install -y nats-server' (.ci/run does this).");
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static NatsServer Start(string? storeDir = null)
    {
        var port = FreePort();
        storeDir ??= TempDir("nats");
        var server = new NatsServer("n1", port, storeDir, ["-a", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-js", "-sd", storeDir, "-n", "n1"]);
        server.Launch();
        return server;
    }

    /// <summary>Three JetStream nodes routed to each other on loopback.</summary>
    public static NatsServer[] StartCluster(int nodes = 3)
    {
        var ports = Enumerable.Range(0, nodes).Select(_ => FreePort()).ToArray();
        var clusterPorts = Enumerable.Range(0, nodes).Select(_ => FreePort()).ToArray();
        var servers = new NatsServer[nodes];
        for (var i = 0; i < nodes; i++)
        {
            var routes = string.Join(',', clusterPorts.Where((_, j) => j != i).Select(p => $"nats://127.0.0.1:{p}"));
            var dir = TempDir("nats-" + i);
            var name = $"n{i + 1}";
            servers[i] = new NatsServer(name, ports[i], dir,
            [
                "-a", "127.0.0.1", "-p", ports[i].ToString(System.Globalization.CultureInfo.InvariantCulture), "-js", "-sd", dir, "-n", name,
                "--cluster_name", "vigil", "--cluster", $"nats://127.0.0.1:{clusterPorts[i]}", "--routes", routes,
            ]);
        }
        foreach (var s in servers)
        {
            s.Launch(waitReady: false);
        }
        foreach (var s in servers)
        {
            s.WaitReady();
        }
        return servers;
    }

    public static string TempDir(string prefix)
    {
        var path = Path.Combine(Path.GetTempPath(), "vigil-nats-tests", $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    private void Launch(bool waitReady = true)
    {
        var psi = new ProcessStartInfo(Binary) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in _args)
        {
            psi.ArgumentList.Add(a);
        }
        lock (_output)
        {
            _output.Clear();
        }
        _process = Process.Start(psi) ?? throw new InvalidOperationException("nats-server did not start");
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        if (waitReady)
        {
            WaitReady();
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    private void WaitReady()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"nats-server {Name} exited ({_process.ExitCode}):\n{Output}");
            }
            if (Output.Contains("Server is ready", StringComparison.Ordinal))
            {
                return;
            }
            Thread.Sleep(50);
        }
        throw new TimeoutException($"nats-server {Name} not ready after 20 s:\n{Output}");
    }

    /// <summary>SIGKILL: the node vanishes without a goodbye.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }
    }

    /// <summary>Starts the same node again (same port, same storage).</summary>
    public void Restart()
    {
        Kill();
        Launch();
    }

    public void Dispose()
    {
        Kill();
        _process?.Dispose();
        try
        {
            Directory.Delete(StoreDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
