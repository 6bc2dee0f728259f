using System.Numerics;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Vigil.Events;

/// <summary>
/// A regular input file whose lines events can point into instead of copying them: an event kept for long (for sequence
/// rules) holds the offset and length of its line and reads the bytes again only when something needs them (an alert).
/// A short check of the bytes is kept, so that a file changed under the scan fails loudly instead of giving wrong alerts.
/// </summary>
internal sealed class RawFile : IDisposable
{
    private readonly Lock _lock = new();
    private SafeFileHandle? _handle;
    private bool _closed;

    /// <summary>
    /// Opens <paramref name="path"/> for reading lines again later: through this handle, opened when the input is opened, so
    /// that a file renamed or deleted after it was read (log rotation) still gives its lines.
    /// </summary>
    /// <exception cref="IOException">The file cannot be opened.</exception>
    /// <exception cref="UnauthorizedAccessException">The file cannot be opened.</exception>
    public RawFile(string path)
    {
        Path = path;
        _handle = Open();
    }

    public string Path { get; }

    /// <summary>Reads <paramref name="length"/> bytes at <paramref name="offset"/> and checks them against <paramref name="check"/>.</summary>
    public byte[] Read(long offset, int length, ulong check, long line)
    {
        var bytes = new byte[length];
        SafeFileHandle? shared;
        lock (_lock)
        {
            shared = _closed ? null : _handle;
        }
        var handle = shared ?? Open();
        try
        {
            var done = 0;
            while (done < length)
            {
                var n = RandomAccess.Read(handle, bytes.AsSpan(done), offset + done);
                if (n <= 0)
                {
                    break;
                }
                done += n;
            }
            if (done < length || Check(bytes) != check)
            {
                throw new IOException($"{Path} changed during the scan: line {line} no longer holds the event read there");
            }
            return bytes;
        }
        finally
        {
            if (shared is null)
            {
                handle.Dispose();
            }
        }
    }

    private SafeFileHandle Open() => File.OpenHandle(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

    /// <summary>Closes the shared handle; later reads open the file for themselves.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _closed = true;
            _handle?.Dispose();
            _handle = null;
        }
    }

    /// <summary>A fast fingerprint of a line (not cryptographic: it detects a changed file, not an attacker).</summary>
    public static ulong Check(ReadOnlySpan<byte> bytes)
    {
        var acc = (ulong)bytes.Length * 0x9E3779B97F4A7C15UL;
        var words = MemoryMarshal.Cast<byte, ulong>(bytes);
        var v = Vector<ulong>.Count;
        var i = 0;
        if (Vector.IsHardwareAccelerated && words.Length >= v)
        {
            var sum = Vector<ulong>.Zero;
            var mix = Vector<ulong>.Zero;
            for (; i + v <= words.Length; i += v)
            {
                var w = new Vector<ulong>(words.Slice(i, v));
                sum += w;
                mix = (mix ^ w) + Vector.ShiftLeft(mix, 7) + Vector.ShiftRightLogical(mix, 3);
            }
            for (var j = 0; j < v; j++)
            {
                acc = BitOperations.RotateLeft(acc ^ sum[j], 17) * 0xBF58476D1CE4E5B9UL;
                acc = BitOperations.RotateLeft(acc ^ mix[j], 29) * 0x94D049BB133111EBUL;
            }
        }
        for (; i < words.Length; i++)
        {
            acc = BitOperations.RotateLeft(acc ^ words[i], 23) * 0xBF58476D1CE4E5B9UL;
        }
        for (var k = words.Length * 8; k < bytes.Length; k++)
        {
            acc = BitOperations.RotateLeft(acc ^ bytes[k], 11) * 0x94D049BB133111EBUL;
        }
        return acc;
    }
}

/// <summary>Where a block of lines sits in a <see cref="RawFile"/>: the file offset of the block buffer's first byte.</summary>
internal sealed record RawOrigin(RawFile File, long BufferOffset);
