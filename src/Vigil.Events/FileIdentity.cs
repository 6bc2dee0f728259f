using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Vigil.Events;

/// <summary>
/// What a path names on disk, after following symbolic links (Linux <c>statx</c>): two paths with the same device and inode
/// are the same file, whether through a symbolic link or a hard link.
/// </summary>
/// <param name="Device">The device (major and minor) the file lives on.</param>
/// <param name="Inode">The file's inode number.</param>
/// <param name="IsRegularFile">A regular file (not a pipe, device, socket or directory).</param>
/// <param name="Size">The size in bytes.</param>
public readonly partial record struct FileIdentity(ulong Device, ulong Inode, bool IsRegularFile, long Size)
{
    private const int AtFdCwd = -100;
    private const uint StatxBasicStats = 0x7ff;

    /// <summary>The identity of the file <paramref name="path"/> names, or null when it cannot be found out (no such file, not Linux).</summary>
    public static FileIdentity? Of(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!OperatingSystem.IsLinux() || path.Length == 0)
        {
            return null;
        }
        Span<byte> buffer = stackalloc byte[256];
        unsafe
        {
            fixed (byte* b = buffer)
            {
                if (Statx(AtFdCwd, path, 0, StatxBasicStats, b) != 0)
                {
                    return null;
                }
            }
        }
        // struct statx: stx_mode at 28 (u16), stx_ino at 32, stx_size at 40 (u64), stx_dev_major/minor at 136/140 (u32).
        var mode = BinaryPrimitives.ReadUInt16LittleEndian(buffer[28..]);
        var inode = BinaryPrimitives.ReadUInt64LittleEndian(buffer[32..]);
        var size = BinaryPrimitives.ReadInt64LittleEndian(buffer[40..]);
        var device = ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(buffer[136..]) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(buffer[140..]);
        return new FileIdentity(device, inode, (mode & 0xF000) == 0x8000, size);
    }

    /// <summary>Whether <paramref name="a"/> and <paramref name="b"/> name the same existing file.</summary>
    public static bool SameFile(string a, string b) =>
        Of(a) is { } x && Of(b) is { } y && x.Device == y.Device && x.Inode == y.Inode;

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int dirfd, string path, int flags, uint mask, byte* buffer);
}
