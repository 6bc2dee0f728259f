using System.Text;

namespace Vigil.Sensor.Tests;

/// <summary>A fake /proc in a temporary directory, for driving the sensor core without a kernel.</summary>
internal sealed class FakeProcTree : IDisposable
{
    public const string BootId = "0b7d2f0e-1c1d-4b8e-9a37-5d1e2c3f4a5b";

    public FakeProcTree()
    {
        Root = Directory.CreateTempSubdirectory("vigil-fakeproc-").FullName;
        Write("sys/kernel/hostname", "fakehost\n");
        Write("sys/kernel/osrelease", "6.18.0-test\n");
        Write("sys/kernel/random/boot_id", BootId + "\n");
        Directory.CreateDirectory(Path.Combine(Root, "self", "ns"));
        File.CreateSymbolicLink(Path.Combine(Root, "self", "ns", "pid"), "pid:[4026531836]");
    }

    public string Root { get; }

    /// <summary>Adds or replaces a process directory.</summary>
    public void AddProcess(
        int pid,
        int ppid,
        string comm,
        string[] args,
        string exe,
        ulong startTicks,
        int pgrp = 0,
        int sid = 0,
        int ttyNr = 0,
        uint uid = 0,
        uint gid = 0,
        string cgroup = "0::/\n",
        int[]? nsPids = null,
        string cwd = "/",
        ulong pidNs = 4026531836,
        char state = 'S')
    {
        string dir = Path.Combine(Root, pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }

        Directory.CreateDirectory(Path.Combine(dir, "ns"));
        pgrp = pgrp == 0 ? pid : pgrp;
        sid = sid == 0 ? pid : sid;
        var stat = new StringBuilder();
        stat.Append($"{pid} ({comm}) {state} {ppid} {pgrp} {sid} {ttyNr} -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 {startTicks} 1000000 100 18446744073709551615");
        stat.Append(" 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n");
        File.WriteAllText(Path.Combine(dir, "stat"), stat.ToString());
        string nspid = string.Join('\t', nsPids ?? [pid]);
        File.WriteAllText(Path.Combine(dir, "status"), $"Name:\t{comm}\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t{pid}\nNgid:\t0\nPid:\t{pid}\nPPid:\t{ppid}\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\nGid:\t{gid}\t{gid}\t{gid}\t{gid}\nNSpid:\t{nspid}\nCapEff:\t000001ffffffffff\n");
        File.WriteAllText(Path.Combine(dir, "cmdline"), string.Concat(args.Select(a => a + "\0")));
        File.WriteAllText(Path.Combine(dir, "cgroup"), cgroup);
        File.WriteAllText(Path.Combine(dir, "comm"), comm + "\n");
        File.CreateSymbolicLink(Path.Combine(dir, "exe"), exe);
        File.CreateSymbolicLink(Path.Combine(dir, "cwd"), cwd);
        File.CreateSymbolicLink(Path.Combine(dir, "ns", "pid"), $"pid:[{pidNs}]");
        File.CreateSymbolicLink(Path.Combine(dir, "ns", "mnt"), "mnt:[4026531832]");
    }

    /// <summary>Makes a process look like a zombie: no cmdline, exe or cwd, stat still there.</summary>
    public void Zombify(int pid)
    {
        string dir = Path.Combine(Root, pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        File.WriteAllText(Path.Combine(dir, "cmdline"), string.Empty);
        File.Delete(Path.Combine(dir, "exe"));
        File.Delete(Path.Combine(dir, "cwd"));
    }

    public void Remove(int pid) =>
        Directory.Delete(Path.Combine(Root, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)), recursive: true);

    public void Write(string relative, string content)
    {
        string path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
