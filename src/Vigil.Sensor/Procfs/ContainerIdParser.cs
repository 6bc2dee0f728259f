using System.Text;

namespace Vigil.Sensor.Procfs;

/// <summary>
/// Finds a container id in the content of <c>/proc/PID/cgroup</c>, for cgroup v1 (<c>N:controllers:/path</c>)
/// and v2 (<c>0::/path</c>). The patterns are libsinsp's: a 64-hex id as a whole path component (docker and
/// containerd on cgroupfs, <c>/docker/ID</c>, <c>/kubepods/burstable/podUID/ID</c>), <c>docker-ID.scope</c>,
/// <c>cri-containerd-ID.scope</c>, <c>crio-ID</c>, <c>crio-ID.scope</c>, <c>libpod-ID</c>, <c>libpod-ID.scope</c>
/// (also with a trailing <c>/container</c>), and the systemd-driver v1 form <c>...slice:cri-containerd:ID</c>.
/// </summary>
internal static class ContainerIdParser
{
    private const int IdLength = 64;

    /// <summary>Returns the 64-hex container id, or null for a host process.</summary>
    public static string? Parse(ReadOnlySpan<byte> cgroupFile)
    {
        while (!cgroupFile.IsEmpty)
        {
            int nl = cgroupFile.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = nl < 0 ? cgroupFile : cgroupFile[..nl];
            cgroupFile = nl < 0 ? default : cgroupFile[(nl + 1)..];

            // Only the first two colons separate fields: the path itself may contain ':' (":cri-containerd:").
            int c1 = line.IndexOf((byte)':');
            if (c1 < 0)
            {
                continue;
            }

            int c2 = line[(c1 + 1)..].IndexOf((byte)':');
            if (c2 < 0)
            {
                continue;
            }

            ReadOnlySpan<byte> path = line[(c1 + c2 + 2)..];
            if (FromPath(path) is { } id)
            {
                return id;
            }
        }

        return null;
    }

    /// <summary>Parses cgroup file text given as a string (tests, resync).</summary>
    public static string? Parse(string cgroupFile) => Parse(Encoding.UTF8.GetBytes(cgroupFile));

    /// <summary>
    /// Walks the path components from the right so a process in a sub-cgroup of a container
    /// (<c>libpod-ID.scope/container</c>, <c>docker-ID.scope/init.scope</c>) still maps to it, and a nested
    /// container (<c>/docker/A/docker/B</c>) maps to the innermost one.
    /// </summary>
    private static string? FromPath(ReadOnlySpan<byte> path)
    {
        path = path.TrimEnd("\r\n "u8);
        while (!path.IsEmpty)
        {
            int slash = path.LastIndexOf((byte)'/');
            ReadOnlySpan<byte> component = slash < 0 ? path : path[(slash + 1)..];
            path = slash < 0 ? default : path[..slash];
            if (FromComponent(component) is { } id)
            {
                return id;
            }
        }

        return null;
    }

    private static string? FromComponent(ReadOnlySpan<byte> c)
    {
        if (c.Length < IdLength)
        {
            return null;
        }

        // conmon is CRI-O's monitor process: it runs on the host next to the container, not in it.
        if (c.StartsWith("crio-conmon-"u8))
        {
            return null;
        }

        int marker = c.LastIndexOf(":cri-containerd:"u8);
        if (marker >= 0)
        {
            return Hex(c[(marker + ":cri-containerd:"u8.Length)..]);
        }

        ReadOnlySpan<byte> body = c;
        bool scope = body.EndsWith(".scope"u8);
        if (scope)
        {
            body = body[..^".scope"u8.Length];
        }

        if (body.StartsWith("docker-"u8))
        {
            return scope ? Hex(body["docker-"u8.Length..]) : null;
        }

        if (body.StartsWith("cri-containerd-"u8))
        {
            return scope ? Hex(body["cri-containerd-"u8.Length..]) : null;
        }

        if (body.StartsWith("crio-"u8))
        {
            return Hex(body["crio-"u8.Length..]);
        }

        if (body.StartsWith("libpod-"u8))
        {
            return Hex(body["libpod-"u8.Length..]);
        }

        return scope ? null : Hex(body);
    }

    private static string? Hex(ReadOnlySpan<byte> id)
    {
        if (id.Length != IdLength)
        {
            return null;
        }

        foreach (byte b in id)
        {
            if (!char.IsAsciiHexDigit((char)b))
            {
                return null;
            }
        }

        return Encoding.ASCII.GetString(id);
    }
}
