using System.Text;

namespace Vigil.Events;

/// <summary>
/// A small per-thread cache of short ASCII strings read from events. Event values repeat a great deal (categories,
/// actions, process names, hosts, images), so most projected strings are found here instead of being decoded and
/// allocated again, and events kept for sequences share them. Direct-mapped: a miss simply replaces the slot.
/// </summary>
internal static class StringCache
{
    /// <summary>
    /// Longer values (command lines, hashes) rarely repeat and are not cached. Entity ids (about 72 bytes of base64) fit: a
    /// process's id recurs in its own events and as the parent and leader of others.
    /// </summary>
    public const int MaxLength = 96;

    private const int Slots = 4096;

    [ThreadStatic]
    private static string?[]? t_slots;

    /// <summary>The string for <paramref name="utf8"/> (unescaped JSON string content), or null when it is not ASCII.</summary>
    public static string? Get(ReadOnlySpan<byte> utf8)
    {
        var slots = t_slots ??= new string?[Slots];
        var slot = Hash(utf8) & (Slots - 1);
        var cached = slots[slot];
        // An equal cached string proves the bytes ASCII (Ascii.Equals fails on any other byte).
        if (cached is not null && cached.Length == utf8.Length && Ascii.Equals(utf8, cached))
        {
            return cached;
        }
        if (!Ascii.IsValid(utf8))
        {
            return null;
        }
        var created = Encoding.ASCII.GetString(utf8);
        slots[slot] = created;
        return created;
    }

    /// <summary>A cheap hash of the length and the first and last eight bytes (the cache only needs a good spread).</summary>
    private static int Hash(ReadOnlySpan<byte> utf8)
    {
        ulong head, tail;
        if (utf8.Length >= 8)
        {
            head = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(utf8);
            tail = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(utf8[^8..]);
        }
        else
        {
            head = 0;
            foreach (var b in utf8)
            {
                head = (head << 8) | b;
            }
            tail = 0;
        }
        var h = (head * 0x9E3779B97F4A7C15UL) ^ (tail * 0xC2B2AE3D27D4EB4FUL) ^ ((ulong)utf8.Length * 0x165667B19E3779F9UL);
        return (int)(h ^ (h >> 29) ^ (h >> 43));
    }
}
