// Self-contained on purpose (BCL only, no xunit, no Vigil reference) so other test projects can
// compile it in with <Compile Include="../Vigil.Sensor.Tests/Simulation/SimulatedContainer.cs" Link="..." />.
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Vigil.Sensor.Testing;

/// <summary>
/// A container without a container engine: a cgroup named the way Docker names it
/// (<c>docker/&lt;64 hex&gt;</c>) in every cgroup hierarchy a sensor may look at (cgroup v2, and the v1
/// <c>pids</c> and <c>name=systemd</c> hierarchies when mounted), and processes started inside it in new
/// PID and mount namespaces (<c>unshare --pid --mount --fork</c>), optionally on a pseudo-terminal
/// (<c>script</c>). Needs root, util-linux (unshare, setsid, script) and a writable cgroup hierarchy.
/// </summary>
/// <example>
/// <code>
/// await using var c = SimulatedContainer.Create();
/// c.InstallStub("apt-get");
/// using var p = c.Run("apt-get", ["install", "curl"], tty: true);
/// int pid = await p.WaitForProcessAsync("apt-get", TimeSpan.FromSeconds(10));
/// // ... assert on what the sensor saw for pid / c.Id ...
/// p.CloseInput();                    // the stub exits at end of input
/// </code>
/// </example>
public sealed class SimulatedContainer : IAsyncDisposable
{
    private readonly List<string> _cgroups;
    private readonly List<SimulatedProcess> _processes = [];

    private SimulatedContainer(string id, List<string> cgroups, string root)
    {
        Id = id;
        _cgroups = cgroups;
        RootDirectory = root;
        BinDirectory = Path.Combine(root, "bin");
        WorkDirectory = Path.Combine(root, "work");
        Directory.CreateDirectory(BinDirectory);
        Directory.CreateDirectory(WorkDirectory);
    }

    /// <summary>The container id: 64 lowercase hex characters.</summary>
    public string Id { get; }

    /// <summary>The cgroup directories created for this container (one per hierarchy).</summary>
    public IReadOnlyList<string> CgroupDirectories => _cgroups;

    /// <summary>A temporary directory owned by this container; removed on dispose.</summary>
    public string RootDirectory { get; }

    /// <summary>Put first on PATH inside the container; stubs go here.</summary>
    public string BinDirectory { get; }

    /// <summary>Working directory of the container's processes.</summary>
    public string WorkDirectory { get; }

    /// <summary>Null when the simulation can run here, otherwise why not (for a test's skip reason).</summary>
    public static string? Unavailable()
    {
        if (!IsRoot())
        {
            return "container simulation needs root (cgroups, unshare); CI runs as root";
        }

        foreach (string tool in new[] { "unshare", "setsid", "script" })
        {
            if (FindOnPath(tool) is null)
            {
                return $"container simulation needs '{tool}' (util-linux) on PATH";
            }
        }

        return Hierarchies().Count == 0 ? "no cgroup hierarchy (cgroup2, or v1 pids / name=systemd) is mounted" : null;
    }

    /// <summary>
    /// Creates <c>&lt;hierarchy&gt;/&lt;prefix&gt;/&lt;id&gt;</c> in each usable hierarchy. The prefix defaults to
    /// <c>docker</c>; with <c>system.slice</c> and a <paramref name="leafFormat"/> of <c>docker-{0}.scope</c>
    /// the path looks like Docker's systemd cgroup driver.
    /// </summary>
    /// <exception cref="InvalidOperationException">No hierarchy could be written (with the reasons).</exception>
    public static SimulatedContainer Create(string? id = null, string prefix = "docker", string leafFormat = "{0}")
    {
        if (Unavailable() is { } reason)
        {
            throw new InvalidOperationException(reason);
        }

        id ??= Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        string leaf = string.Format(CultureInfo.InvariantCulture, leafFormat, id);
        var created = new List<string>();
        var errors = new List<string>();
        foreach ((string mount, string ownPath) in Hierarchies())
        {
            // The hierarchy root first; when it is not writable (a nested or delegated cgroup tree), under
            // our own cgroup, which is where a delegated subtree lets us create children.
            foreach (string parent in new[] { mount, Path.Join(mount, ownPath).TrimEnd('/') }.Distinct())
            {
                string dir = Path.Join(parent, prefix, leaf);
                try
                {
                    Directory.CreateDirectory(dir);
                    if (File.Exists(Path.Combine(dir, "cgroup.procs")))
                    {
                        created.Add(dir);
                        break;
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    errors.Add($"{dir}: {ex.Message}");
                }
            }
        }

        if (created.Count == 0)
        {
            throw new InvalidOperationException("could not create a container cgroup: " + string.Join("; ", errors));
        }

        string root = Directory.CreateTempSubdirectory("vigil-sim-").FullName;
        return new SimulatedContainer(id, created, root);
    }

    /// <summary>
    /// Installs an executable named <paramref name="name"/> in <see cref="BinDirectory"/>: a copy of
    /// <paramref name="template"/> (default <c>tee</c>). A copied ELF binary rather than a shell script,
    /// because a script's argv starts with the interpreter (<c>/bin/sh /path/apt-get install curl</c>) and
    /// its <c>/proc/PID/exe</c> is the shell; <c>tee</c> takes the arguments as output files (created in
    /// <see cref="WorkDirectory"/>) and blocks on stdin at no CPU cost, so the process lives until
    /// <see cref="SimulatedProcess.CloseInput"/>, long enough for any sensor to read /proc.
    /// </summary>
    public string InstallStub(string name, string? template = null)
    {
        template ??= FindOnPath("tee") ?? throw new InvalidOperationException("tee not found");
        string path = Path.Combine(BinDirectory, name);
        File.Copy(template, path, overwrite: true);
        MakeExecutable(path);
        return path;
    }

    private static void MakeExecutable(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("container simulation is Linux-only");
        }

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
    }

    /// <summary>Installs a shell script stub (argv will start with the interpreter, see <see cref="InstallStub"/>).</summary>
    public string InstallScript(string name, string body)
    {
        string path = Path.Combine(BinDirectory, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        MakeExecutable(path);
        return path;
    }

    /// <summary>
    /// Starts <paramref name="program"/> (looked up on PATH, <see cref="BinDirectory"/> first) with
    /// <paramref name="args"/> inside the container: the launcher joins the cgroups, then
    /// <c>unshare --pid --mount --fork</c>. With <paramref name="tty"/> the program runs under
    /// <c>script -qfec</c>, so it is a session leader whose controlling terminal is a pts (like
    /// <c>docker exec -it</c>); without, <c>setsid</c> leaves it no controlling terminal at all (like a
    /// <c>docker build</c> RUN step) and it is the namespace's pid 1.
    /// </summary>
    public SimulatedProcess Run(string program, IReadOnlyList<string> args, bool tty, IReadOnlyList<string>? extraUnshareOptions = null)
    {
        string command = "exec " + string.Join(' ', new[] { program }.Concat(args).Select(Quote));
        var psi = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = WorkDirectory,
        };

        // Join every cgroup before anything else runs, so all descendants are born inside.
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("IFS=:; for d in $VIGIL_SIM_CGROUPS; do echo $$ > \"$d/cgroup.procs\" || exit 97; done; unset IFS; exec \"$@\"");
        psi.ArgumentList.Add("vigil-sim");
        psi.ArgumentList.Add(FindOnPath("unshare")!);
        psi.ArgumentList.Add("--pid");
        psi.ArgumentList.Add("--mount");
        psi.ArgumentList.Add("--fork");
        foreach (string option in extraUnshareOptions ?? [])
        {
            psi.ArgumentList.Add(option);
        }

        psi.ArgumentList.Add("--");
        if (tty)
        {
            psi.ArgumentList.Add(FindOnPath("script")!);
            psi.ArgumentList.Add("-qfec");
            psi.ArgumentList.Add(command);
            psi.ArgumentList.Add("/dev/null");
        }
        else
        {
            psi.ArgumentList.Add(FindOnPath("setsid")!);
            psi.ArgumentList.Add("-w");
            psi.ArgumentList.Add("/bin/sh");
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(command);
        }

        psi.Environment["PATH"] = BinDirectory + ":" + (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin");
        psi.Environment["SHELL"] = "/bin/sh";
        psi.Environment["TERM"] = "dumb";
        psi.Environment["VIGIL_SIM_CGROUPS"] = string.Join(':', _cgroups);

        var process = new SimulatedProcess(this, Process.Start(psi) ?? throw new InvalidOperationException("could not start /bin/sh"));
        _processes.Add(process);
        return process;
    }

    /// <summary>Host pids of every process now in the container's cgroup.</summary>
    public IReadOnlyList<int> Pids()
    {
        var pids = new SortedSet<int>();
        foreach (string dir in _cgroups)
        {
            try
            {
                foreach (string line in File.ReadAllLines(Path.Combine(dir, "cgroup.procs")))
                {
                    if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
                    {
                        pids.Add(pid);
                    }
                }
            }
            catch (IOException)
            {
            }
        }

        return [.. pids];
    }

    /// <summary>Kills everything in the container, removes its cgroups and the temporary directory.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (SimulatedProcess p in _processes)
        {
            p.CloseInput();
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            IReadOnlyList<int> pids = Pids();
            if (pids.Count == 0)
            {
                break;
            }

            foreach (int pid in pids)
            {
                try
                {
                    using var p = Process.GetProcessById(pid);
                    p.Kill();
                }
                catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(20).ConfigureAwait(false);
        }

        foreach (SimulatedProcess p in _processes)
        {
            p.Dispose();
        }

        foreach (string dir in _cgroups)
        {
            // The "docker" parent stays: it may be a real engine's, or another simulation's in parallel.
            for (int attempt = 0; attempt < 50; attempt++)
            {
                try
                {
                    Directory.Delete(dir);
                    break;
                }
                catch (DirectoryNotFoundException)
                {
                    break;
                }
                catch (IOException)
                {
                    // EBUSY until the last zombie is reaped.
                    await Task.Delay(20).ConfigureAwait(false);
                }
            }
        }

        try
        {
            Directory.Delete(RootDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    internal static string? FindOnPath(string tool)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Concat(["/usr/bin", "/bin", "/usr/sbin", "/sbin"]))
        {
            if (dir.Length > 0 && File.Exists(Path.Combine(dir, tool)))
            {
                return Path.Combine(dir, tool);
            }
        }

        return null;
    }

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static bool IsRoot()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("Uid:", StringComparison.Ordinal))
                {
                    string[] f = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                    return f.Length > 2 && f[2] == "0";
                }
            }
        }
        catch (IOException)
        {
        }

        return false;
    }

    /// <summary>
    /// Mounted hierarchies a sensor reads container ids from — cgroup2, and the v1 <c>pids</c> and
    /// <c>name=systemd</c> hierarchies — with our own path in each (from /proc/self/cgroup).
    /// </summary>
    private static List<(string Mount, string OwnPath)> Hierarchies()
    {
        var own = new Dictionary<string, string>();
        try
        {
            foreach (string line in File.ReadLines("/proc/self/cgroup"))
            {
                string[] f = line.Split(':', 3);
                if (f.Length == 3)
                {
                    foreach (string controller in f[1].Split(','))
                    {
                        own[controller] = f[2];
                    }
                }
            }
        }
        catch (IOException)
        {
        }

        var result = new List<(string, string)>();
        try
        {
            foreach (string line in File.ReadLines("/proc/self/mountinfo"))
            {
                // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
                int dash = line.IndexOf(" - ", StringComparison.Ordinal);
                if (dash < 0)
                {
                    continue;
                }

                string[] left = line[..dash].Split(' ');
                string[] right = line[(dash + 3)..].Split(' ');
                if (left.Length < 5 || right.Length < 3)
                {
                    continue;
                }

                string mountPoint = Unescape(left[4]);
                string mountRoot = Unescape(left[3]);
                if (right[0] == "cgroup2")
                {
                    result.Add((mountPoint, Relative(own.GetValueOrDefault(string.Empty, "/"), mountRoot)));
                }
                else if (right[0] == "cgroup")
                {
                    string[] options = right[2].Split(',');
                    string? key = options.Contains("pids") ? "pids" : options.Contains("name=systemd") ? "name=systemd" : null;
                    if (key is not null)
                    {
                        result.Add((mountPoint, Relative(own.GetValueOrDefault(key, "/"), mountRoot)));
                    }
                }
            }
        }
        catch (IOException)
        {
        }

        return result;
    }

    private static string Relative(string ownPath, string mountRoot) =>
        mountRoot != "/" && ownPath.StartsWith(mountRoot, StringComparison.Ordinal) ? ownPath[mountRoot.Length..] : ownPath;

    private static string Unescape(string s) =>
        s.Replace("\\040", " ", StringComparison.Ordinal).Replace("\\011", "\t", StringComparison.Ordinal).Replace("\\134", "\\", StringComparison.Ordinal);
}

/// <summary>A launcher process of a <see cref="SimulatedContainer"/> and what it started.</summary>
public sealed class SimulatedProcess : IDisposable
{
    private readonly SimulatedContainer _container;
    private readonly StringBuilder _output = new();

    internal SimulatedProcess(SimulatedContainer container, Process process)
    {
        _container = container;
        Process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>The launcher (it becomes <c>unshare</c>; its pid is a host pid).</summary>
    public Process Process { get; }

    /// <summary>What the launcher and its children printed, for failure messages.</summary>
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

    /// <summary>
    /// Waits until a process whose command name (<c>/proc/PID/comm</c>) is <paramref name="comm"/> runs in
    /// the container and returns its host pid.
    /// </summary>
    public async Task<int> WaitForProcessAsync(string comm, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            foreach (int pid in _container.Pids())
            {
                try
                {
                    if (File.ReadAllText($"/proc/{pid}/comm").TrimEnd('\n') == comm)
                    {
                        return pid;
                    }
                }
                catch (IOException)
                {
                }
            }

            if (Process.HasExited)
            {
                break;
            }

            await Task.Delay(10).ConfigureAwait(false);
        }

        throw new TimeoutException($"no '{comm}' appeared in container {_container.Id}; launcher exited: {Process.HasExited}; output: {Output}");
    }

    /// <summary>Closes the program's input; the default stub then exits with status 0.</summary>
    public void CloseInput()
    {
        try
        {
            Process.StandardInput.Close();
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Waits for the launcher to exit and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await Process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        return Process.ExitCode;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
        }

        Process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
