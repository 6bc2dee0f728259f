using System.Buffers;
using System.IO.Compression;
using System.Text.Json;
using Vigil.Eql;

namespace Vigil.Events;

/// <summary>Reader settings with safe defaults.</summary>
public sealed record NdjsonReaderOptions
{
    /// <summary>Lines longer than this are reported and skipped (default 16 MiB), so one hostile line cannot exhaust memory.</summary>
    public int MaxLineBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Index name for events that carry neither <c>_index</c> nor <c>data_stream.*</c> (<c>--index</c>).</summary>
    public string? DefaultIndex { get; init; }
}

/// <summary>
/// Reads newline-delimited JSON events from files (plain or gzip, detected by magic bytes) or standard input. A malformed
/// line is reported through the error callback with file, line and column, counted and skipped; reading goes on.
/// A truncated or corrupt gzip stream ends that input with an error; events already read are kept.
/// </summary>
public sealed partial class NdjsonReader
{
    private readonly FieldProjection _projection;
    private readonly NdjsonReaderOptions _options;
    private readonly Action<InputError> _onError;

    /// <summary>Creates a reader that extracts the fields of <paramref name="projection"/>.</summary>
    public NdjsonReader(FieldProjection projection, Action<InputError> onError, NdjsonReaderOptions? options = null)
    {
        _projection = projection ?? throw new ArgumentNullException(nameof(projection));
        _onError = onError ?? throw new ArgumentNullException(nameof(onError));
        _options = options ?? new NdjsonReaderOptions();
    }

    /// <summary>Events read so far.</summary>
    public long EventsRead { get; private set; }

    /// <summary>Lines that could not be read as events.</summary>
    public long BadLines { get; private set; }

    /// <summary>Inputs that could not be opened at all.</summary>
    public long FailedInputs { get; private set; }

    /// <summary>Errors shown per input before the rest are only counted (a binary file would otherwise flood the console).</summary>
    public const int MaxErrorsShownPerInput = 50;

    private readonly Dictionary<string, int> _shown = new(StringComparer.Ordinal);

    private void Report(InputError error)
    {
        _shown.TryGetValue(error.Source, out var n);
        _shown[error.Source] = ++n;
        if (n <= MaxErrorsShownPerInput)
        {
            _onError(error);
        }
        else if (n == MaxErrorsShownPerInput + 1)
        {
            _onError(new InputError(error.Source, 0, null, $"more than {MaxErrorsShownPerInput} errors; further errors in this input are counted but not shown"));
        }
    }

    /// <summary>Reads a path (<c>-</c> is standard input).</summary>
    public IEnumerable<EventRecord> ReadPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        Stream stream;
        if (path == "-")
        {
            stream = Console.OpenStandardInput();
        }
        else
        {
            if (Directory.Exists(path))
            {
                Report(new InputError(path, 0, null, "cannot open input: it is a directory (give the NDJSON files inside it)"));
                FailedInputs++;
                return [];
            }
            try
            {
                stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Report(new InputError(path, 0, null, $"cannot open input: {ex.Message}"));
                FailedInputs++;
                return [];
            }
        }
        return ReadStream(stream, path, ownsStream: true);
    }

    /// <summary>Reads a stream; gzip is detected by its magic bytes.</summary>
    public IEnumerable<EventRecord> ReadStream(Stream stream, string sourceName, bool ownsStream = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        try
        {
            var input = OpenMaybeGzip(stream);
            foreach (var e in ReadLines(input, sourceName))
            {
                yield return e;
            }
        }
        finally
        {
            if (ownsStream)
            {
                stream.Dispose();
            }
        }
    }

    private static Stream OpenMaybeGzip(Stream stream)
    {
        var buffered = stream.CanSeek ? stream : new BufferedStream(stream, 1 << 16);
        if (buffered.CanSeek)
        {
            Span<byte> magic = stackalloc byte[2];
            var pos = buffered.Position;
            var n = buffered.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
            buffered.Position = pos;
            return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b ? new CheckedGzip(buffered) : buffered;
        }
        return new PeekableStream(buffered).OpenMaybeGzip();
    }

    /// <summary>
    /// Reads more of <paramref name="input"/> after <paramref name="buffer"/>[..<paramref name="filled"/>], doubling the buffer
    /// (from the pool) when it is full. A read or decompression failure is returned in <paramref name="failure"/> with 0 bytes
    /// read, so that the caller reports it at its line and keeps what it already has.
    /// </summary>
    private static int Fill(Stream input, ref byte[] buffer, int filled, out string? failure)
    {
        failure = null;
        try
        {
            if (filled == buffer.Length)
            {
                var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                Buffer.BlockCopy(buffer, 0, bigger, 0, filled);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = bigger;
            }
            return input.Read(buffer, filled, buffer.Length - filled);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException)
        {
            failure = ex.Message;
            return 0;
        }
    }

    private IEnumerable<EventRecord> ReadLines(Stream input, string source)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        var start = 0;
        var end = 0;
        long line = 0;
        var skippingLongLine = false;
        try
        {
            while (true)
            {
                if (end == buffer.Length && start > 0)
                {
                    // Make room by moving the partial line to the front before growing the buffer.
                    Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                    end -= start;
                    start = 0;
                }
                var read = Fill(input, ref buffer, end, out var failure);
                if (failure is not null)
                {
                    BadLines++;
                    Report(new InputError(source, line + 1, null, $"input is truncated or corrupt ({failure}); {EventsRead} events before this point were kept"));
                    yield break;
                }
                if (read == 0)
                {
                    if (end > start && !skippingLongLine)
                    {
                        line++;
                        var last = ParseLine(buffer.AsSpan(start, end - start), source, line, unterminated: true);
                        if (last is not null)
                        {
                            yield return last;
                        }
                    }
                    yield break;
                }
                end += read;
                while (true)
                {
                    var nl = Array.IndexOf(buffer, (byte)'\n', start, end - start);
                    if (nl < 0)
                    {
                        if (end - start > _options.MaxLineBytes && !skippingLongLine)
                        {
                            line++;
                            BadLines++;
                            Report(new InputError(source, line, null, $"line is longer than {_options.MaxLineBytes} bytes; skipped"));
                            skippingLongLine = true;
                        }
                        if (skippingLongLine)
                        {
                            start = end = 0;
                        }
                        break;
                    }
                    if (skippingLongLine)
                    {
                        skippingLongLine = false;
                        start = nl + 1;
                        continue;
                    }
                    line++;
                    var e = ParseLine(buffer.AsSpan(start, nl - start), source, line);
                    start = nl + 1;
                    if (e is not null)
                    {
                        yield return e;
                    }
                }
                if (start == end)
                {
                    start = end = 0;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private EventRecord? ParseLine(ReadOnlySpan<byte> bytes, string source, long line, bool unterminated = false)
    {
        if (bytes.Length > 0 && bytes[^1] == (byte)'\r')
        {
            bytes = bytes[..^1];
        }
        if (bytes.Length > 0 && line == 1 && bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            bytes = bytes[3..];
        }
        if (bytes.IsEmpty || bytes.Trim((byte)' ').IsEmpty)
        {
            return null;
        }
        if (bytes.Length > _options.MaxLineBytes)
        {
            BadLines++;
            Report(new InputError(source, line, null, $"line is longer than {_options.MaxLineBytes} bytes; skipped"));
            return null;
        }
        try
        {
            var values = JsonProjector.Project(bytes, _projection);
            EventsRead++;
            return new EventRecord(bytes.ToArray(), source, line, values, _options.DefaultIndex);
        }
        catch (JsonException ex)
        {
            BadLines++;
            var column = ex.BytePositionInLine is { } b ? b + 1 : (long?)null;
            var message = ex.Message;
            var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut > 0)
            {
                message = message[..cut].TrimEnd('.', ' ');
            }
            var hint = unterminated ? " (the input ends inside this line: truncated?)" : string.Empty;
            Report(new InputError(source, line, column, $"malformed JSON: {message}{hint}"));
            return null;
        }
        catch (InvalidOperationException ex)
        {
            BadLines++;
            Report(new InputError(source, line, null, $"malformed JSON: {ex.Message}"));
            return null;
        }
    }

    /// <summary>Lets gzip detection peek at two bytes of a non-seekable stream (stdin).</summary>
    /// <summary>
    /// A gzip file (seekable) that yields no data at all is either an empty member, whose trailer (CRC and size) is all
    /// zeros, or damaged: the decompressor itself just reports the end, so a corrupt file would read as an empty one.
    /// </summary>
    private sealed class CheckedGzip(Stream compressed) : Stream
    {
        private readonly GZipStream _inner = new(compressed, CompressionMode.Decompress);
        private long _total;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = _inner.Read(buffer);
            _total += n;
            if (n == 0 && _total == 0 && buffer.Length > 0 && !EmptyMember())
            {
                throw new InvalidDataException("no data could be decompressed: the gzip data is corrupt or truncated");
            }
            return n;
        }

        private bool EmptyMember()
        {
            if (compressed.Length < 18)
            {
                return false;
            }
            Span<byte> trailer = stackalloc byte[8];
            compressed.Position = compressed.Length - 8;
            compressed.ReadExactly(trailer);
            return !trailer.ContainsAnyExcept((byte)0);
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
                _inner.Dispose();
            }
            base.Dispose(disposing);
        }
    }

    private sealed class PeekableStream(Stream inner)
    {
        public Stream OpenMaybeGzip()
        {
            var head = new byte[2];
            var n = inner.ReadAtLeast(head, 2, throwOnEndOfStream: false);
            Stream combined = new ConcatStream(head.AsMemory(0, n), inner);
            return n == 2 && head[0] == 0x1f && head[1] == 0x8b ? new GZipStream(combined, CompressionMode.Decompress) : combined;
        }
    }

    private sealed class ConcatStream(ReadOnlyMemory<byte> head, Stream tail) : Stream
    {
        private ReadOnlyMemory<byte> _head = head;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (!_head.IsEmpty)
            {
                var n = Math.Min(count, _head.Length);
                _head.Span[..n].CopyTo(buffer.AsSpan(offset, n));
                _head = _head[n..];
                return n;
            }
            return tail.Read(buffer, offset, count);
        }
    }
}
