using System.Diagnostics;
using System.IO.Compression;
using System.Text;

namespace Vigil.Triage.Tests;

/// <summary>A root file system made by a test in a temporary directory, removed afterwards.</summary>
internal sealed class Fixture : IDisposable
{
    public Fixture()
    {
        Base = Directory.CreateTempSubdirectory("vigil-triage-tests-").FullName;
        Root = Path.Join(Base, "root");
        Directory.CreateDirectory(Root);
    }

    /// <summary>Holds the root and, beside it, whatever lies "outside" the root.</summary>
    public string Base { get; }

    public string Root { get; }

    public string Outside(string name) => Path.Join(Base, name);

    public string HostPath(string path) => Path.Join(Root, path.TrimStart('/'));

    public Fixture Write(string path, string text, DateTime? mtime = null)
    {
        var host = HostPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(host)!);
        File.WriteAllText(host, text);
        if (mtime is { } t)
        {
            File.SetLastWriteTimeUtc(host, t);
        }
        return this;
    }

    public Fixture WriteGz(string path, string text, int truncateBytes = 0)
    {
        var host = HostPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(host)!);
        using (var buffer = new MemoryStream())
        {
            using (var gz = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
            {
                gz.Write(Encoding.UTF8.GetBytes(text));
            }
            var bytes = buffer.ToArray();
            File.WriteAllBytes(host, bytes[..(bytes.Length - truncateBytes)]);
        }
        return this;
    }

    public Fixture Symlink(string path, string target)
    {
        var host = HostPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(host)!);
        File.CreateSymbolicLink(host, target);
        return this;
    }

    public static void MakeFifo(string hostPath)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(hostPath)!);
        using var p = Process.Start(new ProcessStartInfo("mkfifo", [hostPath]) { UseShellExecute = false })!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
    }

    public TriageReport Run(TriageOptions? options = null) => TriageRunner.Run(Root, options);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Base, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
