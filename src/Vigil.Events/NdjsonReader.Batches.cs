using System.Buffers;
using System.Text.Json;
using Vigil.Eql;

namespace Vigil.Events;

/// <summary>A problem the block reader met, reported (with the reader's counters) when its block is consumed in order.</summary>
internal enum BatchErrorKind
{
    /// <summary>A bad line (counted in <see cref="NdjsonReader.BadLines"/>).</summary>
    BadLine,
    /// <summary>The input could not be opened (counted in <see cref="NdjsonReader.FailedInputs"/>).</summary>
    FailedInput,
    /// <summary>A truncated or corrupt stream; the message gets the count of events kept when reported.</summary>
    Truncated,
}

/// <summary>
/// A block of whole lines read from one input: a pooled buffer, where each line starts, and the reader's own errors.
/// Blocks let several threads parse one input while a single consumer reports and emits in input order.
/// </summary>
internal sealed class LineBatch
{
    public required byte[] Buffer { get; init; }

    public required string Source { get; init; }

    /// <summary>For a regular, uncompressed file: where <see cref="Buffer"/> starts in it, so kept events can point into it.</summary>
    public RawOrigin? Origin { get; init; }

    /// <summary>Offset, length, 1-based line number and whether the line is the unterminated end of the input.</summary>
    public List<(int Start, int Length, long Line, bool Unterminated)> Lines { get; } = [];

    public List<(BatchErrorKind Kind, InputError Error)> ReaderErrors { get; } = [];

    /// <summary>Events parsed, bad lines and their errors: filled by whoever parses the block.</summary>
    public long Events { get; set; }

    public List<InputError> ParseErrors { get; } = [];

    /// <summary>Bytes read from the input up to this block's cut (after decompression): how far the input has been read.</summary>
    public long InputBytesRead { get; init; }

    /// <summary>The input is a regular file read as it is (not decompressed): its size is what will be read.</summary>
    public bool FromPlainFile { get; init; }

    public void Release()
    {
        if (Buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(Buffer);
        }
    }
}

public sealed partial class NdjsonReader
{
    /// <summary>Bytes per block handed to a parsing thread.</summary>
    internal const int BatchBytes = 1 << 20;

    /// <summary>
    /// Reads a path (<c>-</c> is stdin, gzip detected) in blocks of whole lines, with the same line numbering, long-line and
    /// truncation handling as <see cref="ReadPath"/>, but reporting nothing itself: errors travel in the blocks and are
    /// reported by <see cref="Consume"/>, so that a producer thread can run this while the consumer reports in order.
    /// </summary>
    internal IEnumerable<LineBatch> ReadBatches(string path)
    {
        Stream stream;
        if (path == "-")
        {
            stream = Console.OpenStandardInput();
        }
        else
        {
            string? failure = null;
            stream = Stream.Null;
            if (Directory.Exists(path))
            {
                failure = "cannot open input: it is a directory (give the NDJSON files inside it)";
            }
            else
            {
                try
                {
                    stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    failure = $"cannot open input: {ex.Message}";
                }
            }
            if (failure is not null)
            {
                var failed = new LineBatch { Buffer = [], Source = path };
                failed.ReaderErrors.Add((BatchErrorKind.FailedInput, new InputError(path, 0, null, failure)));
                yield return failed;
                yield break;
            }
        }
        using (stream)
        {
            var input = OpenMaybeGzip(stream);
            RawFile? file = null;
            var plainFile = ReferenceEquals(input, stream) && stream is FileStream { CanSeek: true } fs && fs.Position == 0;
            if (plainFile && HoldsInputs)
            {
                file = TryHoldRawFile(path);
            }
            foreach (var batch in ReadBatches(input, path, file, plainFile))
            {
                yield return batch;
            }
        }
    }

    private IEnumerable<LineBatch> ReadBatches(Stream input, string source, RawFile? file = null, bool plainFile = false)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BatchBytes);
        var filled = 0;
        // The file offset of buffer[0].
        long bufferOffset = 0;
        long line = 0;
        var skippingLongLine = false;
        var pendingErrors = new List<(BatchErrorKind, InputError)>();
        long totalRead = 0;
        try
        {
            while (true)
            {
                var read = Fill(input, ref buffer, filled, out var failure);
                totalRead += read;
                var batch = new LineBatch { Buffer = buffer, Source = source, Origin = file is null ? null : new RawOrigin(file, bufferOffset), InputBytesRead = totalRead, FromPlainFile = plainFile };
                batch.ReaderErrors.AddRange(pendingErrors);
                pendingErrors.Clear();
                if (failure is not null)
                {
                    // Lines before the failure point were all handed out in earlier blocks, as the plain reader parses them.
                    batch.ReaderErrors.Add((BatchErrorKind.Truncated, new InputError(source, line + 1, null, failure)));
                    buffer = [];
                    yield return batch;
                    yield break;
                }
                if (read == 0)
                {
                    if (filled > 0 && !skippingLongLine)
                    {
                        line++;
                        batch.Lines.Add((0, filled, line, true));
                    }
                    buffer = [];
                    yield return batch;
                    yield break;
                }
                var end = filled + read;
                var start = 0;
                while (true)
                {
                    var nl = buffer.AsSpan(start, end - start).IndexOf((byte)'\n');
                    if (nl < 0)
                    {
                        break;
                    }
                    nl += start;
                    if (skippingLongLine)
                    {
                        skippingLongLine = false;
                    }
                    else
                    {
                        line++;
                        batch.Lines.Add((start, nl - start, line, false));
                    }
                    start = nl + 1;
                }
                if (end - start > _options.MaxLineBytes && !skippingLongLine)
                {
                    line++;
                    batch.ReaderErrors.Add((BatchErrorKind.BadLine, new InputError(source, line, null, $"line is longer than {_options.MaxLineBytes} bytes; skipped")));
                    skippingLongLine = true;
                }
                if (skippingLongLine)
                {
                    start = end;
                }
                if (batch.Lines.Count == 0 && batch.ReaderErrors.Count == 0)
                {
                    // No whole line yet: keep filling (the buffer grows when full); bytes of a skipped long line are dropped.
                    Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                    filled = end - start;
                    bufferOffset += start;
                    continue;
                }
                var next = ArrayPool<byte>.Shared.Rent(Math.Max(BatchBytes, end - start));
                Buffer.BlockCopy(buffer, start, next, 0, end - start);
                filled = end - start;
                bufferOffset += start;
                buffer = next;
                yield return batch;
            }
        }
        finally
        {
            if (buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>
    /// Parses one line of a block into <paramref name="values"/> (all null on entry), without touching the reader's
    /// counters: the result is recorded in the block. Returns false for blank and bad lines.
    /// </summary>
    internal bool TryParse(LineBatch batch, int index, EqlValue[] values, out ReadOnlyMemory<byte> raw) =>
        TryParse(batch, index, values, _projection, out raw);

    /// <summary>As <see cref="TryParse(LineBatch, int, EqlValue[], out ReadOnlyMemory{byte})"/>, with another projection of the same field table.</summary>
    internal bool TryParse(LineBatch batch, int index, EqlValue[] values, FieldProjection projection, out ReadOnlyMemory<byte> raw)
    {
        var (start, length, line, unterminated) = batch.Lines[index];
        var memory = batch.Buffer.AsMemory(start, length);
        var bytes = memory.Span;
        if (bytes.Length > 0 && bytes[^1] == (byte)'\r')
        {
            memory = memory[..^1];
            bytes = memory.Span;
        }
        if (bytes.Length > 0 && line == 1 && bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            memory = memory[3..];
            bytes = memory.Span;
        }
        raw = memory;
        if (bytes.IsEmpty || bytes.Trim((byte)' ').IsEmpty)
        {
            return false;
        }
        if (bytes.Length > _options.MaxLineBytes)
        {
            batch.ParseErrors.Add(new InputError(batch.Source, line, null, $"line is longer than {_options.MaxLineBytes} bytes; skipped"));
            return false;
        }
        try
        {
            JsonProjector.Project(bytes, projection, values);
            batch.Events++;
            return true;
        }
        catch (JsonException ex)
        {
            var column = ex.BytePositionInLine is { } b ? b + 1 : (long?)null;
            var message = ex.Message;
            var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut > 0)
            {
                message = message[..cut].TrimEnd('.', ' ');
            }
            var hint = unterminated ? " (the input ends inside this line: truncated?)" : string.Empty;
            batch.ParseErrors.Add(new InputError(batch.Source, line, column, $"malformed JSON: {message}{hint}"));
            return false;
        }
        catch (InvalidOperationException ex)
        {
            batch.ParseErrors.Add(new InputError(batch.Source, line, null, $"malformed JSON: {ex.Message}"));
            return false;
        }
    }

    private readonly List<RawFile> _rawFiles = [];

    /// <summary>
    /// Whether regular input files are held open so that kept events can point into them (set when something keeps events by
    /// reference); otherwise blocks carry no <see cref="RawOrigin"/> and no handle is opened for it.
    /// </summary>
    internal bool HoldsInputs { get; set; }

    /// <summary>Inputs held open at once for reading lines again; events of further inputs keep copies of their lines.</summary>
    internal const int MaxRawFiles = 64;

    /// <summary>A handle on <paramref name="path"/> that kept events can read their lines through, or null (they keep copies).</summary>
    private RawFile? TryHoldRawFile(string path)
    {
        lock (_rawFiles)
        {
            if (_rawFiles.Count >= MaxRawFiles)
            {
                return null;
            }
            try
            {
                var file = new RawFile(path);
                _rawFiles.Add(file);
                return file;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }
    }

    /// <summary>
    /// Closes the files that events read in blocks point into (see <see cref="RawOrigin"/>); such events still read their
    /// bytes afterwards, opening the file for each read.
    /// </summary>
    internal void CloseRawFiles()
    {
        lock (_rawFiles)
        {
            foreach (var f in _rawFiles)
            {
                f.Dispose();
            }
            _rawFiles.Clear();
        }
    }

    /// <summary>Lines longer than this are reported and skipped.</summary>
    internal int MaxLineBytes => _options.MaxLineBytes;

    /// <summary>The default index events of this reader carry.</summary>
    internal string? DefaultIndex => _options.DefaultIndex;

    /// <summary>Applies a parsed block's counts and reports its errors in line order, as the plain reader would have.</summary>
    internal void Consume(LineBatch batch)
    {
        EventsRead += batch.Events;
        var errors = batch.ParseErrors.Select(e => (Kind: BatchErrorKind.BadLine, Error: e)).Concat(batch.ReaderErrors)
            .OrderBy(e => e.Kind == BatchErrorKind.Truncated ? long.MaxValue : e.Error.Line);
        foreach (var (kind, error) in errors)
        {
            switch (kind)
            {
                case BatchErrorKind.FailedInput:
                    FailedInputs++;
                    Report(error);
                    break;
                case BatchErrorKind.Truncated:
                    BadLines++;
                    Report(error with { Message = $"input is truncated or corrupt ({error.Message}); {EventsRead} events before this point were kept" });
                    break;
                default:
                    BadLines++;
                    Report(error);
                    break;
            }
        }
    }
}
