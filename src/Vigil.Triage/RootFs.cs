using System.IO.Compression;
using Microsoft.Win32.SafeHandles;

namespace Vigil.Triage;

/// <summary>
/// Read-only view of a root file system. Every path is resolved one component at a time against the root, the way a
/// chroot would: absolute symbolic-link targets restart at the root, and a relative target that climbs above the root
/// is refused with a warning. Files are opened read-only, without following a final symlink, and only when they are
/// regular files (a FIFO or a device such as <c>/dev/zero</c> in a live container's root would hang or never end).
/// </summary>
internal sealed class RootFs : IDisposable
{
    /// <summary>Linux's own limit on symlinks in one lookup (ELOOP).</summary>
    private const int MaxLinks = 40;

    /// <summary>Longest line we keep; a longer one is reported and skipped so a hostile file cannot exhaust memory.</summary>
    internal const int MaxLineChars = 1 << 20;

    private readonly List<TriageWarning> _warnings;
    private readonly HashSet<string> _warned = new(StringComparer.Ordinal);
    private readonly string _label;

    public RootFs(string root, List<TriageWarning> warnings, string label = "")
    {
        Root = Path.GetFullPath(root);
        _warnings = warnings;
        _label = label;
    }

    /// <summary>The host path of the root, as given (the root itself may be a link such as <c>/proc/PID/root</c>).</summary>
    public string Root { get; }

    /// <summary>Names a path inside the root for messages (with the baseline prefix when this is the baseline).</summary>
    public string Display(string path) => _label + path;

    public void Warn(string path, int? line, string message)
    {
        var w = new TriageWarning(Display(path), line, message);
        if (_warned.Add(w.ToString()))
        {
            _warnings.Add(w);
        }
    }

    /// <summary>
    /// Resolves <paramref name="path"/> (absolute inside the root, e.g. <c>/var/lib/dpkg/status</c>) to a host path
    /// in which no component below the root is a symlink. Null when it does not exist or would leave the root.
    /// </summary>
    public string? Resolve(string path)
    {
        var pending = new Stack<string>();
        Push(pending, path);
        var resolved = new List<string>();
        int links = 0;
        while (pending.TryPop(out var c))
        {
            if (c == "." || c.Length == 0)
            {
                continue;
            }
            if (c == "..")
            {
                if (resolved.Count == 0)
                {
                    Warn(path, null, "a symbolic link on this path points outside the root; not followed");
                    return null;
                }
                resolved.RemoveAt(resolved.Count - 1);
                continue;
            }
            var host = Join(resolved, c);
            string? target;
            try
            {
                target = new FileInfo(host).LinkTarget;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return null;
            }
            if (target is not null)
            {
                if (++links > MaxLinks)
                {
                    Warn(path, null, "too many levels of symbolic links; not followed");
                    return null;
                }
                if (target.StartsWith('/'))
                {
                    // Absolute targets mean the container's root, not the host's.
                    resolved.Clear();
                }
                Push(pending, target);
                continue;
            }
            if (!File.Exists(host) && !Directory.Exists(host))
            {
                return null;
            }
            resolved.Add(c);
        }
        return Join(resolved, null);
    }

    public bool FileExists(string path) => Resolve(path) is { } host && File.Exists(host);

    /// <summary>Names in a directory inside the root (not resolved: join them to the directory path and resolve).</summary>
    public IReadOnlyList<string> List(string dir)
    {
        if (Resolve(dir) is not { } host || !Directory.Exists(host))
        {
            return [];
        }
        try
        {
            return Directory.EnumerateFileSystemEntries(host).Select(Path.GetFileName).OfType<string>()
                .Order(StringComparer.Ordinal).ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Warn(dir, null, $"cannot list: {ex.Message}");
            return [];
        }
    }

    /// <summary>Opens a regular file read-only, or returns null (missing, refused, not a regular file: with a warning).</summary>
    public Stream? Open(string path)
    {
        if (Resolve(path) is not { } host)
        {
            return null;
        }
        if (Directory.Exists(host))
        {
            Warn(path, null, "is a directory, expected a file");
            return null;
        }
        try
        {
            return OpenResolved(Path.GetRelativePath(Root, host));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Warn(path, null, ex.Message);
            return null;
        }
    }

    /// <summary>
    /// Opens a path already resolved to contain no symlinks. On Linux the kernel walks it again from the root with
    /// every symlink refused (openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), so a live container that swaps a
    /// directory for a link between <see cref="Resolve"/> and the open gains nothing.
    /// </summary>
    internal Stream OpenResolved(string relative) => SafeOpen.OpenRegularFile(Root, relative, RootHandle);

    private SafeFileHandle? RootHandle
    {
        get
        {
            if (!_rootHandleTried)
            {
                _rootHandleTried = true;
                _rootHandle = SafeOpen.OpenDirectoryHandle(Root);
            }
            return _rootHandle;
        }
    }

    private SafeFileHandle? _rootHandle;
    private bool _rootHandleTried;

    public void Dispose() => _rootHandle?.Dispose();

    /// <summary>The file's modification time (of the file itself, never a link's target).</summary>
    public DateTimeOffset? ModifiedTime(string path)
    {
        if (Resolve(path) is not { } host)
        {
            return null;
        }
        try
        {
            using var stream = OpenResolved(Path.GetRelativePath(Root, host));
            return new DateTimeOffset(stream is FileStream fs ? File.GetLastWriteTimeUtc(fs.SafeFileHandle) : File.GetLastWriteTimeUtc(host), TimeSpan.Zero);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Warn(path, null, ex.Message);
            return null;
        }
    }

    /// <summary>
    /// Reads a text file line by line (gzip when the name ends in <c>.gz</c>). A truncated or corrupt stream ends the
    /// file with a warning naming the last line read; the lines before it are kept.
    /// </summary>
    public IEnumerable<(int Line, string Text)> ReadLines(string path)
    {
        var stream = Open(path);
        if (stream is null)
        {
            yield break;
        }
        using (stream)
        {
            bool gzip = path.EndsWith(".gz", StringComparison.Ordinal);
            long? expectedSize = gzip ? GzipTrailerSize(stream) : null;
            var counter = gzip ? new CountingStream(new GZipStream(stream, CompressionMode.Decompress)) : null;
            using var reader = new StreamReader(counter ?? stream, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            var buffer = new System.Text.StringBuilder();
            int lineNo = 0;
            while (true)
            {
                string? text;
                bool tooLong, complete;
                try
                {
                    (text, tooLong, complete) = ReadLine(reader, buffer);
                }
                catch (Exception ex) when (ex is IOException or InvalidDataException)
                {
                    Warn(path, lineNo + 1, $"file is truncated or corrupt ({ex.Message}); read {lineNo} lines");
                    yield break;
                }
                if (text is null)
                {
                    if (counter is not null && expectedSize != (counter.Count & 0xFFFFFFFF))
                    {
                        Warn(path, lineNo + 1, $"file is truncated or corrupt (the gzip trailer does not match the data); read {lineNo} lines");
                    }
                    yield break;
                }
                lineNo++;
                // .NET's GZipStream ends quietly on a cut-off stream; the size in the gzip trailer tells.
                if (!complete && counter is not null && expectedSize != (counter.Count & 0xFFFFFFFF))
                {
                    Warn(path, lineNo, $"file is truncated or corrupt (the gzip trailer does not match the data); read {lineNo - 1} lines");
                    yield break;
                }
                if (tooLong)
                {
                    Warn(path, lineNo, $"line longer than {MaxLineChars} characters; skipped");
                    continue;
                }
                yield return (lineNo, text);
            }
        }
    }

    /// <summary>The uncompressed size (mod 2^32) a gzip file's last four bytes record; the stream is left at its start.</summary>
    private static long? GzipTrailerSize(Stream stream)
    {
        if (!stream.CanSeek || stream.Length < 18)
        {
            return null;
        }
        Span<byte> trailer = stackalloc byte[4];
        stream.Seek(-4, SeekOrigin.End);
        stream.ReadExactly(trailer);
        stream.Seek(0, SeekOrigin.Begin);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(trailer);
    }

    /// <summary>Copies a file out of the root into <paramref name="destination"/> (for SQLite, which must not open files under the root).</summary>
    public bool CopyTo(string path, string destination)
    {
        using var source = Open(path);
        if (source is null)
        {
            return false;
        }
        using var target = new FileStream(destination, FileMode.CreateNew, FileAccess.Write);
        source.CopyTo(target);
        return true;
    }

    private static (string? Text, bool TooLong, bool Complete) ReadLine(StreamReader reader, System.Text.StringBuilder buffer)
    {
        buffer.Clear();
        bool tooLong = false;
        bool complete = false;
        int ch;
        bool any = false;
        while ((ch = reader.Read()) >= 0)
        {
            any = true;
            if (ch == '\n')
            {
                complete = true;
                break;
            }
            if (buffer.Length < MaxLineChars)
            {
                buffer.Append((char)ch);
            }
            else
            {
                tooLong = true;
            }
        }
        if (!any)
        {
            return (null, false, true);
        }
        if (buffer.Length > 0 && buffer[^1] == '\r')
        {
            buffer.Length--;
        }
        return (buffer.ToString(), tooLong, complete);
    }

    private string Join(List<string> resolved, string? next)
    {
        var parts = new List<string>(resolved.Count + 2) { Root };
        parts.AddRange(resolved);
        if (next is not null)
        {
            parts.Add(next);
        }
        return Path.Join(parts.ToArray());
    }

    private static void Push(Stack<string> pending, string path)
    {
        var parts = path.Split('/');
        for (int i = parts.Length - 1; i >= 0; i--)
        {
            pending.Push(parts[i]);
        }
    }
}

/// <summary>Counts the bytes read through it (the decompressed size of a gzip stream).</summary>
internal sealed class CountingStream(Stream inner) : Stream
{
    public long Count { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => Count; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        int n = inner.Read(buffer, offset, count);
        Count += n;
        return n;
    }

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        Count += n;
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>Opens files for reading without following a final symlink and refuses anything but regular files.</summary>
internal static partial class SafeOpen
{
    /// <summary>An O_PATH handle on the root directory for openat2, or null where that is not available.</summary>
    public static SafeFileHandle? OpenDirectoryHandle(string root) => OperatingSystem.IsLinux() ? Native.OpenPath(root) : null;

    public static Stream OpenRegularFile(string root, string relative, SafeFileHandle? rootHandle)
    {
        var host = Path.Join(root, relative);
        if (!OperatingSystem.IsLinux())
        {
            var info = new FileInfo(host);
            if (info.LinkTarget is not null)
            {
                throw new IOException("is a symbolic link; not followed");
            }
            return new FileStream(host, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        var handle = (rootHandle is null ? null : Native.OpenBeneath(rootHandle, relative)) ?? Native.OpenNoFollow(host);
        try
        {
            if (!Native.IsRegularFile(handle))
            {
                throw new IOException("is not a regular file (device, FIFO or socket); not read");
            }
            return new FileStream(handle, FileAccess.Read, bufferSize: 64 * 1024);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Whether two paths name the same directory (same device and inode); false when either cannot be looked at.</summary>
    public static bool SameDirectory(string a, string b) =>
        OperatingSystem.IsLinux() && Native.Identity(a) is { } x && Native.Identity(b) is { } y && x == y;

    private static unsafe partial class Native
    {
        private const int ORdOnly = 0;
        private const int ONonBlock = 0x800;
        private const int OCloExec = 0x80000;
        private const int AtEmptyPath = 0x1000;
        private const uint StatxType = 1;
        private const int SIfMt = 0xF000;
        private const int SIfReg = 0x8000;
        private const int ELoop = 40;

        // O_NOFOLLOW differs between architectures (asm-generic vs x86).
        private static int ONoFollow => System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture
            is System.Runtime.InteropServices.Architecture.Arm64 or System.Runtime.InteropServices.Architecture.Arm ? 0x8000 : 0x20000;

        private const int OPath = 0x200000;
        private const long SysOpenat2 = 437; // the same number on every architecture (added after the syscall table unification)
        private const ulong ResolveNoMagicLinks = 0x02, ResolveNoSymlinks = 0x04, ResolveBeneath = 0x08;
        private const int ENoSys = 38, EPerm = 1, E2Big = 7, EXDev = 18;

        private static int ODirectory => System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture
            is System.Runtime.InteropServices.Architecture.Arm64 or System.Runtime.InteropServices.Architecture.Arm ? 0x4000 : 0x10000;

        private static bool _noOpenat2;

        public static SafeFileHandle? OpenPath(string path)
        {
            int fd = Open(path, OPath | ODirectory | OCloExec);
            return fd < 0 ? null : new SafeFileHandle(fd, ownsHandle: true);
        }

        /// <summary>openat2 beneath the root with no symlink allowed anywhere; null when the kernel (or a seccomp filter) lacks openat2.</summary>
        public static SafeFileHandle? OpenBeneath(SafeFileHandle root, string relative)
        {
            if (_noOpenat2)
            {
                return null;
            }
            // struct open_how { u64 flags; u64 mode; u64 resolve; }
            ulong* how = stackalloc ulong[3];
            how[0] = (ulong)(ORdOnly | ONonBlock | OCloExec | ONoFollow);
            how[1] = 0;
            how[2] = ResolveBeneath | ResolveNoSymlinks | ResolveNoMagicLinks;
            bool added = false;
            root.DangerousAddRef(ref added);
            try
            {
                long fd = Syscall(SysOpenat2, (int)root.DangerousGetHandle(), relative, how, 24);
                if (fd >= 0)
                {
                    return new SafeFileHandle(checked((IntPtr)fd), ownsHandle: true);
                }
            }
            finally
            {
                if (added)
                {
                    root.DangerousRelease();
                }
            }
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (errno is ENoSys or EPerm or E2Big)
            {
                _noOpenat2 = true;
                return null;
            }
            throw new IOException(errno is ELoop or EXDev
                ? "a path component is (now) a symbolic link or leaves the root; not followed"
                : $"cannot open (errno {errno})");
        }

        public static SafeFileHandle OpenNoFollow(string path)
        {
            // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
            int fd = Open(path, ORdOnly | ONonBlock | OCloExec | ONoFollow);
            if (fd < 0)
            {
                int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                throw new IOException(errno == ELoop ? "is a symbolic link; not followed" : $"cannot open (errno {errno})");
            }
            return new SafeFileHandle(fd, ownsHandle: true);
        }

        /// <summary>Device and inode of a directory (following links), or null when it cannot be looked at.</summary>
        public static (uint Major, uint Minor, ulong Inode)? Identity(string path)
        {
            byte* buffer = stackalloc byte[256];
            const uint statxIno = 0x100;
            if (Statx(-100 /* AT_FDCWD */, path, 0, statxIno, buffer) != 0)
            {
                return null;
            }
            // stx_ino at 32, stx_dev_major at 136, stx_dev_minor at 140.
            return (*(uint*)(buffer + 136), *(uint*)(buffer + 140), *(ulong*)(buffer + 32));
        }

        public static bool IsRegularFile(SafeFileHandle handle)
        {
            // struct statx has the same layout on every architecture; stx_mode is the u16 at offset 28.
            byte* buffer = stackalloc byte[256];
            if (Statx((int)handle.DangerousGetHandle(), string.Empty, AtEmptyPath, StatxType, buffer) != 0)
            {
                return false;
            }
            int mode = *(ushort*)(buffer + 28);
            return (mode & SIfMt) == SIfReg;
        }

        [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "open", StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8, SetLastError = true)]
        private static partial int Open(string path, int flags);

        [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "syscall", StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8, SetLastError = true)]
        private static partial long Syscall(long number, int dirfd, string path, ulong* how, nuint size);

        [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "statx", StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8, SetLastError = true)]
        private static partial int Statx(int dirfd, string path, int flags, uint mask, byte* buffer);
    }
}
