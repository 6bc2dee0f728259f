using System.Runtime.InteropServices;
using System.Text;
using Vigil.Sensor.Procfs;

namespace Vigil.Sensor.Ecs;

/// <summary>The <c>host.*</c> fields, read once at start.</summary>
internal sealed record HostInfo(
    string Name,
    string HostName,
    string Id,
    string BootId,
    ulong PidNamespaceInode,
    string? KernelRelease,
    string Architecture)
{
    /// <summary>Reads host identity from the proc root (and /etc/machine-id), honouring a name override.</summary>
    public static HostInfo Read(string procRoot, string? nameOverride)
    {
        string hostName = ReadLine(Path.Combine(procRoot, "sys", "kernel", "hostname")) ?? Environment.MachineName;

        // Without a boot id entity ids would collide across reboots; a random one at least keeps them unique.
        string bootId = ReadLine(Path.Combine(procRoot, "sys", "kernel", "random", "boot_id")) ?? Guid.NewGuid().ToString();
        string id = ReadLine(Path.Combine(procRoot, "1", "root", "etc", "machine-id"))
            ?? ReadLine("/etc/machine-id")
            ?? bootId.Replace("-", string.Empty, StringComparison.Ordinal);
        string? kernel = ReadLine(Path.Combine(procRoot, "sys", "kernel", "osrelease"));

        ulong pidNs = 0;
        try
        {
            if (new FileInfo(Path.Combine(procRoot, "self", "ns", "pid")).LinkTarget is { } target)
            {
                pidNs = ProcFs.ParseNamespaceInode(Encoding.UTF8.GetBytes(target));
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        string arch = RuntimeInformation.OSArchitecture switch
        {
            System.Runtime.InteropServices.Architecture.X64 => "x86_64",
            System.Runtime.InteropServices.Architecture.Arm64 => "aarch64",
            System.Runtime.InteropServices.Architecture.X86 => "i686",
            System.Runtime.InteropServices.Architecture.Arm => "armv7l",
            var other => other.ToString().ToLowerInvariant(),
        };

        string name = string.IsNullOrWhiteSpace(nameOverride) ? hostName : nameOverride;
        return new HostInfo(name, hostName, id, bootId, pidNs, kernel, arch);
    }

    private static string? ReadLine(string path)
    {
        try
        {
            string text = File.ReadAllText(path).Trim();
            return text.Length == 0 ? null : text;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
