using System.Text;

namespace Vigil.Events;

/// <summary>
/// A small per-thread cache of short ASCII strings read from events. Event values repeat a great deal (categories,
/// actions, process names, hosts, images), so most projected strings are found here instead of being decoded and
/// allocated again, and events kept for sequences share them. Direct-mapped: a miss simply replaces the slot.
/// </summary>
internal static class StringCache
{
    /// <summary>Longer values (ids, command lines) rarely repeat and are not cached.</summary>
    public const int MaxLength = 64;

    private const int Slots = 4096;

    [ThreadStatic]
    private static string?[]? t_slots;

    /// <summary>The string for <paramref name="utf8"/> (unescaped JSON string content), or null when it is not ASCII.</summary>
    public static string? Get(ReadOnlySpan<byte> utf8)
    {
        if (!Ascii.IsValid(utf8))
        {
            return null;
        }
        var slots = t_slots ??= new string?[Slots];
        var hash = new HashCode();
        hash.AddBytes(utf8);
        var slot = hash.ToHashCode() & (Slots - 1);
        var cached = slots[slot];
        if (cached is not null && cached.Length == utf8.Length && Ascii.Equals(utf8, cached))
        {
            return cached;
        }
        var created = Encoding.ASCII.GetString(utf8);
        slots[slot] = created;
        return created;
    }
}
