namespace Vigil.Eql.Execution;

/// <summary>Scratch files for spilling: deleted when closed, and on Linux unlinked at once, so a killed run leaves none.</summary>
public static class TemporaryFile
{
    /// <summary>Creates a new scratch file named <paramref name="prefix"/>-pid-guid<paramref name="extension"/> in <paramref name="directory"/> (default: the system temporary directory).</summary>
    /// <exception cref="IOException">The file cannot be created there.</exception>
    /// <exception cref="UnauthorizedAccessException">The file cannot be created there.</exception>
    public static FileStream Create(string? directory, string prefix, string extension)
    {
        var path = Path.Combine(directory ?? Path.GetTempPath(), $"{prefix}-{Environment.ProcessId}-{Guid.NewGuid():N}{extension}");
        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        if (!OperatingSystem.IsWindows())
        {
            // The open handle keeps the data; nothing is left under the name.
            File.Delete(path);
        }
        return stream;
    }
}
