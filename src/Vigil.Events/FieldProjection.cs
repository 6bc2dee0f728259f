using Vigil.Eql;

namespace Vigil.Events;

/// <summary>
/// The set of field paths a reader extracts from each event, as a trie of path segments. Nested objects and dotted keys
/// name the same field: <c>{"process":{"name":"x"}}</c>, <c>{"process.name":"x"}</c> and mixes reach the same node.
/// </summary>
public sealed class FieldProjection
{
    internal sealed class Node
    {
        private readonly Dictionary<string, Node> _children = new(StringComparer.Ordinal);
        private Dictionary<string, Node>.AlternateLookup<ReadOnlySpan<char>> _lookup;

        public Node() => _lookup = _children.GetAlternateLookup<ReadOnlySpan<char>>();

        public int Slot { get; set; } = -1;

        public bool HasChildren => _children.Count > 0;

        public Node GetOrAdd(string segment)
        {
            if (!_children.TryGetValue(segment, out var child))
            {
                child = new Node();
                _children.Add(segment, child);
            }
            return child;
        }

        public Node? Find(ReadOnlySpan<char> segment) => _lookup.TryGetValue(segment, out var n) ? n : null;

        // The same children keyed by their UTF-8 bytes: keys read from JSON are matched without decoding them. Nodes have
        // few children (an ECS object's wanted fields), so a scan that compares lengths first is cheaper than hashing.
        private byte[][] _utf8Keys = [];
        private Node[] _utf8Nodes = [];

        public Node? FindUtf8(ReadOnlySpan<byte> segment)
        {
            var keys = _utf8Keys;
            for (var i = 0; i < keys.Length; i++)
            {
                var key = keys[i];
                if (key.Length == segment.Length && (key.Length == 0 || key[0] == segment[0]) && segment.SequenceEqual(key))
                {
                    return _utf8Nodes[i];
                }
            }
            return null;
        }

        /// <summary>Builds the UTF-8 keys of this node and its descendants (once the trie is complete).</summary>
        public void Seal()
        {
            _utf8Keys = _children.Keys.Select(System.Text.Encoding.UTF8.GetBytes).ToArray();
            _utf8Nodes = _children.Values.ToArray();
            foreach (var child in _utf8Nodes)
            {
                child.Seal();
            }
        }
    }

    /// <summary>Builds the projection for every field currently registered in <paramref name="table"/>.</summary>
    public FieldProjection(FieldTable table)
        : this(table, null)
    {
    }

    /// <summary>
    /// Builds a projection of only <paramref name="subset"/> (all of <paramref name="table"/> when null), keeping the table's
    /// slot numbers, so that events read for one index carry just the fields of the rules that read that index.
    /// </summary>
    public FieldProjection(FieldTable table, IEnumerable<FieldRef>? subset)
    {
        ArgumentNullException.ThrowIfNull(table);
        Root = new Node();
        var fields = table.Fields;
        SlotCount = fields.Count;
        foreach (var f in subset ?? fields)
        {
            var node = Root;
            foreach (var seg in f.Path.Split('.'))
            {
                node = node.GetOrAdd(seg);
            }
            node.Slot = f.Slot;
        }
        Root.Seal();
    }

    internal Node Root { get; }

    /// <summary>Number of slots an event carries.</summary>
    public int SlotCount { get; }
}
