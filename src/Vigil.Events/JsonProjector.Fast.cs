using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using Vigil.Eql;

namespace Vigil.Events;

/// <summary>
/// A faster first try at projecting a line: a hand-written scanner that checks the JSON grammar as it goes (as strictly as
/// <see cref="Utf8JsonReader"/>), finds the end of strings with a vectorised search, matches keys as bytes and skips
/// unwanted values without tokenising them one by one. Anything it leaves to the reference reader (escaped keys, deep
/// nesting, and every line that is not valid JSON, so that errors are reported exactly as before) makes it give up; the
/// caller then clears what it wrote and runs the reader.
/// </summary>
internal static partial class JsonProjector
{
    /// <summary>Deeper documents go to the reference reader (which allows 256 levels).</summary>
    private const int FastMaxDepth = 64;

    // What ends a run of plain string bytes: the quote, an escape, or a control character (invalid inside JSON strings).
    private static readonly SearchValues<byte> StringStops = SearchValues.Create(
        [(byte)'"', (byte)'\\', 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]);

    private ref struct Scanner(ReadOnlySpan<byte> json, EqlValue[] values, Multi multi)
    {
        private readonly ReadOnlySpan<byte> _s = json;
        private readonly EqlValue[] _values = values;
        // Holds only references to the thread's shared lists, so a copy is as good as the original.
        private Multi _multi = multi;
        private int _i;

        /// <summary>Projects the whole line; false when the reference reader must decide.</summary>
        public bool Run(FieldProjection.Node root)
        {
            SkipWhitespace();
            if (_i >= _s.Length || _s[_i] != (byte)'{' || !Object(root, 1))
            {
                return false;
            }
            SkipWhitespace();
            return _i == _s.Length;
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        private void SkipWhitespace()
        {
            // Events are mostly written without whitespace: one comparison settles the common case.
            if (_i < _s.Length && _s[_i] > (byte)' ')
            {
                return;
            }
            while (_i < _s.Length && _s[_i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
            {
                _i++;
            }
        }

        /// <summary>At <c>{</c>: reads the object's members into <paramref name="node"/>'s fields (null: skips them).</summary>
        private bool Object(FieldProjection.Node? node, int depth)
        {
            switch (Open((byte)'}', depth))
            {
                case Next.End:
                    return true;
                case Next.Invalid:
                    return false;
            }
            while (true)
            {
                if (_i >= _s.Length || _s[_i] != (byte)'"' || !PlainString(out var key, out var escaped) || escaped)
                {
                    // Escaped keys are decoded by the reference reader.
                    return false;
                }
                SkipWhitespace();
                if (_i >= _s.Length || _s[_i] != (byte)':')
                {
                    return false;
                }
                _i++;
                SkipWhitespace();
                var target = node is null ? null : Find(node, key);
                if (!(target is null ? Skip(depth) : Value(target, depth)))
                {
                    return false;
                }
                switch (AfterItem((byte)'}'))
                {
                    case Next.End:
                        return true;
                    case Next.Invalid:
                        return false;
                }
            }
        }

        private enum Next
        {
            Item,
            End,
            Invalid,
        }

        /// <summary>
        /// At <c>{</c> or <c>[</c> opening a container at <paramref name="depth"/>: an empty one is consumed whole (End); too
        /// deep a one goes to the reference reader (Invalid).
        /// </summary>
        private Next Open(byte close, int depth)
        {
            if (depth > FastMaxDepth)
            {
                return Next.Invalid;
            }
            _i++;
            SkipWhitespace();
            if (_i < _s.Length && _s[_i] == close)
            {
                _i++;
                return Next.End;
            }
            return Next.Item;
        }

        /// <summary>After a member or element: <paramref name="close"/> ends the container, a comma announces another item.</summary>
        private Next AfterItem(byte close)
        {
            SkipWhitespace();
            if (_i >= _s.Length)
            {
                return Next.Invalid;
            }
            if (_s[_i] == close)
            {
                _i++;
                return Next.End;
            }
            if (_s[_i] != (byte)',')
            {
                return Next.Invalid;
            }
            _i++;
            SkipWhitespace();
            return Next.Item;
        }

        private static FieldProjection.Node? Find(FieldProjection.Node node, ReadOnlySpan<byte> key)
        {
            var current = node;
            while (true)
            {
                var dot = key.IndexOf((byte)'.');
                current = current.FindUtf8(dot < 0 ? key : key[..dot]);
                if (current is null || dot < 0)
                {
                    return current;
                }
                key = key[(dot + 1)..];
            }
        }

        /// <summary>At a value wanted for <paramref name="node"/>: as the reference projector's ReadValue.</summary>
        private bool Value(FieldProjection.Node node, int depth)
        {
            if (_i >= _s.Length)
            {
                return false;
            }
            switch (_s[_i])
            {
                case (byte)'{':
                    return Object(node.HasChildren ? node : null, depth + 1);
                case (byte)'[':
                    if (!Elements(node, depth))
                    {
                        return false;
                    }
                    if (node.Slot >= 0)
                    {
                        EnsureArray(node.Slot, _values, ref _multi);
                    }
                    return true;
                default:
                {
                    var start = _i;
                    if (!Skip(depth))
                    {
                        return false;
                    }
                    if (node.Slot >= 0 && Scalar(_s[start.._i]) is { IsNull: false } v)
                    {
                        Add(node.Slot, v, _values, ref _multi);
                    }
                    return true;
                }
            }
        }

        /// <summary>The value of one scalar token, as the reference reader would give it.</summary>
        private static EqlValue Scalar(ReadOnlySpan<byte> token)
        {
            switch (token[0])
            {
                case (byte)'"':
                {
                    var content = token[1..^1];
                    if (content.IndexOf((byte)'\\') < 0)
                    {
                        if (content.Length <= StringCache.MaxLength && StringCache.Get(content) is { } cached)
                        {
                            return EqlValue.From(cached);
                        }
                        // As Utf8JsonReader.GetString, and as the lenient fallback for invalid UTF-8 (replacement characters).
                        return EqlValue.From(Encoding.UTF8.GetString(content));
                    }
                    var reader = new Utf8JsonReader(token);
                    reader.Read();
                    return EqlValue.From(LenientJson.GetString(ref reader));
                }
                case (byte)'t':
                    return EqlValue.From(true);
                case (byte)'f':
                    return EqlValue.From(false);
                case (byte)'n':
                    return EqlValue.Null;
                default:
                {
                    if (Utf8Parser.TryParse(token, out long l, out var used) && used == token.Length)
                    {
                        return EqlValue.From(l);
                    }
                    var reader = new Utf8JsonReader(token);
                    reader.Read();
                    return reader.TryGetInt64(out l) ? EqlValue.From(l) : EqlValue.From(reader.GetDouble());
                }
            }
        }

        /// <summary>
        /// At <c>[</c>: reads the elements into <paramref name="node"/> (nested arrays flatten and objects inside arrays reach
        /// the node's children, as Elasticsearch indexes them), or skips them when it is null.
        /// </summary>
        private bool Elements(FieldProjection.Node? node, int depth)
        {
            switch (Open((byte)']', depth + 1))
            {
                case Next.End:
                    return true;
                case Next.Invalid:
                    return false;
            }
            while (true)
            {
                if (!(node is null ? Skip(depth + 1) : Value(node, depth + 1)))
                {
                    return false;
                }
                switch (AfterItem((byte)']'))
                {
                    case Next.End:
                        return true;
                    case Next.Invalid:
                        return false;
                }
            }
        }

        /// <summary>Skips one value, checking its grammar.</summary>
        private bool Skip(int depth)
        {
            if (_i >= _s.Length)
            {
                return false;
            }
            switch (_s[_i])
            {
                case (byte)'"':
                    return PlainString(out _, out _);
                case (byte)'{':
                    return Object(null, depth + 1);
                case (byte)'[':
                    return Elements(null, depth);
                case (byte)'t':
                    return Literal("true"u8);
                case (byte)'f':
                    return Literal("false"u8);
                case (byte)'n':
                    return Literal("null"u8);
                default:
                    return Number();
            }
        }

        private bool Literal(ReadOnlySpan<byte> word)
        {
            if (!_s[_i..].StartsWith(word))
            {
                return false;
            }
            _i += word.Length;
            return EndsToken();
        }

        /// <summary>A value must be followed by whitespace, a separator or the end.</summary>
        private readonly bool EndsToken() => _i >= _s.Length || _s[_i] is (byte)',' or (byte)'}' or (byte)']' or (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r';

        /// <summary>-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?</summary>
        private bool Number()
        {
            if (_i < _s.Length && _s[_i] == (byte)'-')
            {
                _i++;
            }
            if (_i >= _s.Length || !char.IsAsciiDigit((char)_s[_i]))
            {
                return false;
            }
            if (_s[_i] == (byte)'0')
            {
                _i++;
            }
            else
            {
                Digits();
            }
            if (_i < _s.Length && _s[_i] == (byte)'.')
            {
                _i++;
                if (!Digits())
                {
                    return false;
                }
            }
            if (_i < _s.Length && _s[_i] is (byte)'e' or (byte)'E')
            {
                _i++;
                if (_i < _s.Length && _s[_i] is (byte)'+' or (byte)'-')
                {
                    _i++;
                }
                if (!Digits())
                {
                    return false;
                }
            }
            return EndsToken();
        }

        private bool Digits()
        {
            var start = _i;
            while (_i < _s.Length && char.IsAsciiDigit((char)_s[_i]))
            {
                _i++;
            }
            return _i > start;
        }

        /// <summary>At <c>"</c>: finds the closing quote, checking escapes; <paramref name="content"/> is what lies between the quotes.</summary>
        private bool PlainString(out ReadOnlySpan<byte> content, out bool escaped)
        {
            var start = ++_i;
            escaped = false;
            content = default;
            while (true)
            {
                var stop = _s[_i..].IndexOfAny(StringStops);
                if (stop < 0)
                {
                    return false;
                }
                _i += stop;
                switch (_s[_i])
                {
                    case (byte)'"':
                        content = _s[start.._i];
                        _i++;
                        return true;
                    case (byte)'\\':
                        escaped = true;
                        if (_i + 1 >= _s.Length)
                        {
                            return false;
                        }
                        switch (_s[_i + 1])
                        {
                            case (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t':
                                _i += 2;
                                break;
                            case (byte)'u':
                                if (_i + 6 > _s.Length || !IsHex(_s[_i + 2]) || !IsHex(_s[_i + 3]) || !IsHex(_s[_i + 4]) || !IsHex(_s[_i + 5]))
                                {
                                    return false;
                                }
                                _i += 6;
                                break;
                            default:
                                return false;
                        }
                        break;
                    default:
                        // A control character inside a string.
                        return false;
                }
            }
        }

        private static bool IsHex(byte b) => char.IsAsciiHexDigit((char)b);
    }
}
