using System.Runtime.InteropServices;

namespace Vigil.Rules;

/// <summary>What a path names, as far as reading it as a rule or exception file goes.</summary>
internal enum SourceFileKind
{
    /// <summary>A regular file (after following symbolic links): safe to read.</summary>
    Regular,

    /// <summary>A directory.</summary>
    Directory,

    /// <summary>Nothing: no such file.</summary>
    Missing,

    /// <summary>A symbolic link whose target does not exist.</summary>
    DanglingLink,

    /// <summary>A FIFO, socket or device: reading could block forever or never end.</summary>
    Special,
}

/// <summary>
/// Reads rule and exception files. The file type is checked before opening, because opening a FIFO for reading blocks
/// until a writer comes and a device such as <c>/dev/zero</c> never ends; a read that still takes too long (the path was
/// swapped after the check, or the type could not be checked) gives up after <see cref="ReadTimeout"/>.
/// </summary>
internal static class SourceFile
{
    /// <summary>How long reading one file may take.</summary>
    public static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(10);

    /// <summary>What <paramref name="path"/> names, following symbolic links; <paramref name="what"/> says it in words for messages.</summary>
    public static SourceFileKind KindOf(string path, out string what)
    {
        var kind = NativeKind(path) ?? ManagedKind(path);
        if (kind == SourceFileKind.Missing && IsLink(path))
        {
            kind = SourceFileKind.DanglingLink;
        }
        what = kind switch
        {
            SourceFileKind.Regular => "a file",
            SourceFileKind.Directory => "is a directory",
            SourceFileKind.Missing => "no such file or directory",
            SourceFileKind.DanglingLink => "is a symbolic link to a missing file",
            _ => "is a FIFO, socket or device, not a regular file",
        };
        return kind;
    }

    /// <summary>The text of a regular file; <see cref="IOException"/> with a short reason for anything else.</summary>
    public static string ReadAllText(string path)
    {
        var kind = KindOf(path, out var what);
        if (kind != SourceFileKind.Regular)
        {
            throw new IOException(what);
        }
        var read = Task.Run(() => File.ReadAllText(path));
        try
        {
            if (!read.Wait(ReadTimeout))
            {
                throw new IOException($"reading took longer than {ReadTimeout.TotalSeconds:0} s; is it a FIFO or a device rather than a file?");
            }
        }
        catch (AggregateException ex) when (ex.InnerException is IOException or UnauthorizedAccessException)
        {
            throw ex.InnerException;
        }
        return read.Result;
    }

    private static bool IsLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget is not null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return false;
        }
    }

    private static SourceFileKind ManagedKind(string path) =>
        File.Exists(path) ? SourceFileKind.Regular
        : Directory.Exists(path) ? SourceFileKind.Directory
        : SourceFileKind.Missing;

    private static bool _noStatx;

    /// <summary>The type from statx (Linux), or null where it is not available (the managed API cannot tell a FIFO from a file).</summary>
    private static SourceFileKind? NativeKind(string path)
    {
        if (!OperatingSystem.IsLinux() || _noStatx)
        {
            return null;
        }
        // struct statx has the same layout on every architecture; stx_mode is the u16 at offset 28.
        var buffer = new byte[256];
        try
        {
            if (Native.Statx(-100 /* AT_FDCWD */, path, 0, 1 /* STATX_TYPE */, buffer) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                return errno is 2 /* ENOENT */ or 20 /* ENOTDIR */ ? SourceFileKind.Missing : null;
            }
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            _noStatx = true;
            return null;
        }
        return (BitConverter.ToUInt16(buffer, 28) & 0xF000) switch
        {
            0x8000 => SourceFileKind.Regular,
            0x4000 => SourceFileKind.Directory,
            _ => SourceFileKind.Special,
        };
    }

    private static class Native
    {
        [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, [Out] byte[] buffer);
    }
}
