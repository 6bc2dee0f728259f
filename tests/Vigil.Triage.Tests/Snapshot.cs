namespace Vigil.Triage.Tests;

/// <summary>Every entry under a directory (without following links) with its type, size, times and link target.</summary>
internal static class Snapshot
{
    public static string Take(string root)
    {
        var lines = new List<string>();
        var dir = new DirectoryInfo(root);
        lines.Add($". dir {dir.LastWriteTimeUtc.Ticks}");
        foreach (var entry in dir.EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false }))
        {
            var rel = Path.GetRelativePath(root, entry.FullName);
            if (entry.LinkTarget is { } target)
            {
                lines.Add($"{rel} link {target}");
            }
            else if (entry is FileInfo f)
            {
                lines.Add($"{rel} file {f.Length} {f.LastWriteTimeUtc.Ticks} {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f.FullName)))}");
            }
            else
            {
                lines.Add($"{rel} dir {entry.LastWriteTimeUtc.Ticks}");
            }
        }
        lines.Sort(StringComparer.Ordinal);
        return string.Join('\n', lines);
    }
}
