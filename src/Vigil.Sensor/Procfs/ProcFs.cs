using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Text;
using Vigil.Sensor.Interop;

namespace Vigil.Sensor.Procfs;

/// <summary>
/// Reads files and links under a proc root (<c>/proc</c>, or a fake tree in tests) with raw syscalls
/// into one reusable buffer. Returned spans are valid until the next read on the same instance; one
/// instance belongs to one thread.
/// </summary>
internal sealed unsafe class ProcFs
{
    private const int MaxPath = 512;
    private readonly byte[] _root;
    private byte[] _buffer = new byte[16 * 1024];
    private readonly byte[] _link = new byte[4096];

    public ProcFs(string root)
    {
        Root = root.TrimEnd('/');
        if (Root.Length == 0)
        {
            Root = "/";
        }

        _root = Encoding.UTF8.GetBytes(Root == "/" ? string.Empty : Root);
    }

    /// <summary>The proc root path without a trailing slash.</summary>
    public string Root { get; }

    /// <summary>errno of the last failed read or readlink (ENOENT/ESRCH mean the process is gone).</summary>
    public int LastError { get; private set; }

    /// <summary>
    /// Reads <c>ROOT/PID/NAME</c> (PID 0 means <c>self</c>) whole, up to <paramref name="maxBytes"/>.
    /// </summary>
    public bool TryRead(int pid, ReadOnlySpan<byte> name, out ReadOnlySpan<byte> content, int maxBytes = 256 * 1024)
    {
        content = default;
        byte* path = stackalloc byte[MaxPath];
        if (!BuildPath(pid, name, new Span<byte>(path, MaxPath)))
        {
            LastError = LibC.ENOENT;
            return false;
        }

        int fd = LibC.Open(path, LibC.O_RDONLY | LibC.O_CLOEXEC);
        if (fd < 0)
        {
            LastError = Marshal.GetLastPInvokeError();
            return false;
        }

        try
        {
            int total = 0;
            while (true)
            {
                if (total == _buffer.Length)
                {
                    if (_buffer.Length >= maxBytes)
                    {
                        break;
                    }

                    Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, maxBytes));
                }

                nint n;
                fixed (byte* b = &_buffer[total])
                {
                    n = LibC.Read(fd, b, (nuint)(_buffer.Length - total));
                }

                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == LibC.EINTR)
                    {
                        continue;
                    }

                    LastError = errno;
                    return false;
                }

                if (n == 0)
                {
                    break;
                }

                total += (int)n;
            }

            content = new ReadOnlySpan<byte>(_buffer, 0, total);
            return true;
        }
        finally
        {
            LibC.Close(fd);
        }
    }

    /// <summary>Reads the target of the symbolic link <c>ROOT/PID/NAME</c>.</summary>
    public bool TryReadLink(int pid, ReadOnlySpan<byte> name, out ReadOnlySpan<byte> target)
    {
        target = default;
        byte* path = stackalloc byte[MaxPath];
        if (!BuildPath(pid, name, new Span<byte>(path, MaxPath)))
        {
            LastError = LibC.ENOENT;
            return false;
        }

        nint n;
        fixed (byte* b = _link)
        {
            n = LibC.ReadLink(path, b, (nuint)_link.Length);
        }

        if (n < 0)
        {
            LastError = Marshal.GetLastPInvokeError();
            return false;
        }

        target = new ReadOnlySpan<byte>(_link, 0, (int)n);
        return true;
    }

    /// <summary>Reads a namespace link (<c>ns/pid</c> → <c>pid:[4026531836]</c>) and returns its inode, 0 if unknown.</summary>
    public ulong ReadNamespaceInode(int pid, ReadOnlySpan<byte> nsLink)
    {
        if (!TryReadLink(pid, nsLink, out ReadOnlySpan<byte> target))
        {
            return 0;
        }

        return ParseNamespaceInode(target);
    }

    /// <summary>Extracts the number from <c>type:[NNN]</c>.</summary>
    public static ulong ParseNamespaceInode(ReadOnlySpan<byte> target)
    {
        int open = target.IndexOf((byte)'[');
        int close = target.LastIndexOf((byte)']');
        if (open < 0 || close <= open)
        {
            return 0;
        }

        return Utf8Parser.TryParse(target[(open + 1)..close], out ulong ino, out _) ? ino : 0;
    }

    /// <summary>Numeric entries of the proc root: every process (thread-group leader) visible to us.</summary>
    public List<int> ListPids()
    {
        var pids = new List<int>(512);
        try
        {
            foreach (string dir in Directory.EnumerateDirectories(Root))
            {
                ReadOnlySpan<char> name = Path.GetFileName(dir.AsSpan());
                if (int.TryParse(name, System.Globalization.NumberStyles.None, null, out int pid) && pid > 0)
                {
                    pids.Add(pid);
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return pids;
    }

    private bool BuildPath(int pid, ReadOnlySpan<byte> name, Span<byte> dest)
    {
        int pos = 0;
        if (_root.Length + name.Length + 16 > dest.Length)
        {
            return false;
        }

        _root.CopyTo(dest);
        pos += _root.Length;
        dest[pos++] = (byte)'/';
        if (pid <= 0)
        {
            "self"u8.CopyTo(dest[pos..]);
            pos += 4;
        }
        else
        {
            Utf8Formatter.TryFormat(pid, dest[pos..], out int written);
            pos += written;
        }

        if (!name.IsEmpty)
        {
            dest[pos++] = (byte)'/';
            name.CopyTo(dest[pos..]);
            pos += name.Length;
        }

        dest[pos] = 0;
        return true;
    }
}
