using System.Globalization;

namespace Vigil.Sensor.Procfs;

/// <summary>
/// User and group names of the host, from the host root's <c>/etc/passwd</c> and <c>/etc/group</c>
/// (through <c>/proc/1/root</c> so a containerised sensor still sees the host's files). Container
/// processes are not looked up here: their names live in the image, so only uid/gid 0 is named ("root").
/// </summary>
internal sealed class UserNames
{
    private Dictionary<uint, string> _users = [];
    private Dictionary<uint, string> _groups = [];

    public UserNames(string procRoot)
    {
        ProcRoot = procRoot;
        Reload();
    }

    public string ProcRoot { get; }

    /// <summary>Re-reads the files (on resynchronisation: accounts may have been added).</summary>
    public void Reload()
    {
        _users = Load("passwd");
        _groups = Load("group");
    }

    public string? User(uint uid, bool inContainer) => Name(_users, uid, inContainer);

    public string? Group(uint gid, bool inContainer) => Name(_groups, gid, inContainer);

    /// <summary>Parses passwd/group text: name:x:id:...</summary>
    internal static Dictionary<uint, string> Parse(string text)
    {
        var map = new Dictionary<uint, string>();
        foreach (string line in text.Split('\n'))
        {
            string[] f = line.Split(':');
            if (f.Length >= 3 && f[0].Length > 0 && uint.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out uint id))
            {
                map.TryAdd(id, f[0]);
            }
        }

        return map;
    }

    private static string? Name(Dictionary<uint, string> map, uint id, bool inContainer)
    {
        if (inContainer)
        {
            return id == 0 ? "root" : null;
        }

        return map.GetValueOrDefault(id);
    }

    private Dictionary<uint, string> Load(string file)
    {
        foreach (string path in new[] { Path.Combine(ProcRoot, "1", "root", "etc", file), Path.Combine("/etc", file) })
        {
            try
            {
                var info = new FileInfo(path);
                if (info.Exists && info.Length < 8 * 1024 * 1024)
                {
                    return Parse(File.ReadAllText(path));
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return [];
    }
}
