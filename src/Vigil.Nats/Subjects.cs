using System.Text;
using Vigil.Eql;
using Vigil.Events;

namespace Vigil.Nats;

/// <summary>
/// Subjects and partitions: an event goes to <c>{prefix}.{partition}.{host}</c> with partition = FNV-1a(host id) mod P, so
/// all events of one host land in one partition (and so in one worker, in order).
/// </summary>
public static class Subjects
{
    private const int MaxTokenLength = 64;

    // Textual order matters: the table is filled before the projection is built from it.
    private static readonly FieldTable HostFields = new();
    private static readonly FieldRef HostId = HostFields.Get("host.id");
    private static readonly FieldRef HostName = HostFields.Get("host.name");
    private static readonly FieldRef HostHostname = HostFields.Get("host.hostname");
    private static readonly FieldProjection HostProjection = new(HostFields);

    /// <summary>
    /// The host key of an event: <c>host.id</c>, else <c>host.name</c>, else <c>host.hostname</c>, else the empty string
    /// (all such events share a partition). Throws <see cref="System.Text.Json.JsonException"/> for a line that is not JSON.
    /// </summary>
    public static string HostKey(ReadOnlySpan<byte> json)
    {
        var e = EventRecord.FromJson(json, HostProjection);
        foreach (var f in (ReadOnlySpan<FieldRef>)[HostId, HostName, HostHostname])
        {
            if (e.Get(f) is { Kind: EqlValueKind.String } v && v.AsString.Length > 0)
            {
                return v.AsString;
            }
        }
        return string.Empty;
    }

    /// <summary>The partition of a host: FNV-1a (32-bit) over the UTF-8 bytes of the host key, modulo <paramref name="partitions"/>.</summary>
    public static int Partition(string hostKey, int partitions)
    {
        ArgumentNullException.ThrowIfNull(hostKey);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        var hash = 2166136261u;
        Span<byte> buffer = stackalloc byte[256];
        var bytes = Encoding.UTF8.GetByteCount(hostKey) <= buffer.Length ? buffer[..Encoding.UTF8.GetBytes(hostKey, buffer)] : Encoding.UTF8.GetBytes(hostKey);
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * 16777619u;
        }
        return (int)(hash % (uint)partitions);
    }

    /// <summary>
    /// A subject token for a host key: letters, digits, '-' and '_' kept, anything else (dots of FQDNs, wildcards, spaces)
    /// turned into '_', at most 64 characters; <c>_</c> for an empty key. Only for reading subjects: the partition is
    /// computed from the key itself, so two hosts whose tokens collide still partition by their real key.
    /// </summary>
    public static string HostToken(string hostKey)
    {
        ArgumentNullException.ThrowIfNull(hostKey);
        if (hostKey.Length == 0)
        {
            return "_";
        }
        var length = Math.Min(hostKey.Length, MaxTokenLength);
        return string.Create(length, hostKey, static (span, key) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                var c = key[i];
                span[i] = char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_';
            }
        });
    }

    /// <summary>The subject of an event of <paramref name="hostKey"/>.</summary>
    public static string EventSubject(string prefix, string hostKey, int partitions) =>
        $"{prefix}.{Partition(hostKey, partitions)}.{HostToken(hostKey)}";

    /// <summary>The filter subject of one partition.</summary>
    public static string PartitionFilter(string prefix, int partition) => $"{prefix}.{partition}.>";
}
