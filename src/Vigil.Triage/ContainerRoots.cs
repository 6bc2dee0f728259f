using System.Globalization;
using System.Text.RegularExpressions;

namespace Vigil.Triage;

/// <summary>A live container's root file system, reached through one of its processes.</summary>
/// <param name="ContainerId">The full 64-hex container id.</param>
/// <param name="Pid">A process in the container.</param>
/// <param name="Root">That process's root, <c>/proc/PID/root</c>.</param>
public sealed record ContainerRoot(string ContainerId, int Pid, string Root);

/// <summary>The container id given matched no process, or more than one container.</summary>
public sealed class ContainerLookupException : Exception
{
    /// <summary>Creates the exception with a message for the user.</summary>
    public ContainerLookupException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ContainerLookupException()
    {
    }

    /// <summary>Creates the exception with an inner cause.</summary>
    public ContainerLookupException(string message, Exception inner) : base(message, inner)
    {
    }
}

/// <summary>Finds a live container's root by scanning <c>/proc/*/cgroup</c> for its id.</summary>
public static partial class ContainerRoots
{
    /// <summary>
    /// Finds a process whose cgroup names the container (full 64-hex id or a prefix that only one container has) and
    /// returns its <c>/proc/PID/root</c>.
    /// </summary>
    /// <param name="containerId">Full id or unique prefix (case-insensitive).</param>
    /// <param name="procRoot">The proc file system (tests give a directory laid out like it).</param>
    /// <exception cref="ContainerLookupException">No container, or more than one, matches.</exception>
    public static ContainerRoot Find(string containerId, string procRoot = "/proc")
    {
        var prefix = containerId.Trim().ToLowerInvariant();
        if (prefix.Length == 0 || !prefix.All(char.IsAsciiHexDigitLower))
        {
            throw new ContainerLookupException($"'{containerId}' is not a container id (hexadecimal)");
        }
        var matches = new SortedDictionary<string, List<int>>(StringComparer.Ordinal);
        IEnumerable<string> dirs;
        try
        {
            dirs = Directory.EnumerateDirectories(procRoot).ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ContainerLookupException($"cannot list {procRoot}: {ex.Message}", ex);
        }
        foreach (var dir in dirs)
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }
            string cgroup;
            try
            {
                cgroup = File.ReadAllText(Path.Join(dir, "cgroup"));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue; // the process ended, or we may not look
            }
            if (IdIn(cgroup) is { } id && id.StartsWith(prefix, StringComparison.Ordinal))
            {
                if (!matches.TryGetValue(id, out var pids))
                {
                    matches[id] = pids = [];
                }
                pids.Add(pid);
            }
        }
        if (matches.Count == 0)
        {
            throw new ContainerLookupException($"no running process belongs to a container with id '{containerId}' (is it running, and may we read /proc?)");
        }
        if (matches.Count > 1)
        {
            throw new ContainerLookupException($"'{containerId}' matches {matches.Count} containers: {string.Join(", ", matches.Keys.Select(k => k[..12]))}; give more of the id");
        }
        var (full, all) = matches.First();
        // The lowest pid is the container's init, the process least likely to have changed its root; but a process
        // that shares our own root (a runtime helper or an nsenter'd tool in the container's cgroup) would show the
        // host's file system, so such processes come last.
        all.Sort();
        var chosen = all.FirstOrDefault(pid => !SafeOpen.SameDirectory(RootOf(procRoot, pid), "/"), all[0]);
        return new ContainerRoot(full, chosen, RootOf(procRoot, chosen));
    }

    private static string RootOf(string procRoot, int pid) => Path.Join(procRoot, pid.ToString(CultureInfo.InvariantCulture), "root");

    /// <summary>
    /// The innermost 64-hex id in a cgroup file (<c>/docker/ID</c>, <c>docker-ID.scope</c>, <c>cri-containerd-ID.scope</c>,
    /// <c>crio-ID.scope</c>, <c>libpod-ID.scope</c>, <c>...:cri-containerd:ID</c>). CRI-O's conmon runs beside the
    /// container, on the host, so its cgroup does not count.
    /// </summary>
    internal static string? IdIn(string cgroup)
    {
        string? found = null;
        foreach (var line in cgroup.Split('\n'))
        {
            if (line.Contains("crio-conmon-", StringComparison.Ordinal))
            {
                continue;
            }
            var ms = HexId().Matches(line);
            if (ms.Count > 0)
            {
                found ??= ms[^1].Value;
            }
        }
        return found;
    }

    [GeneratedRegex("(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")]
    private static partial Regex HexId();
}
