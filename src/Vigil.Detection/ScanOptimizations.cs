namespace Vigil.Detection;

/// <summary>
/// The scan's speed-ups, each switchable so that a test can run the same data with and without it and compare the alerts.
/// <see cref="None"/> is the plain path: one thread, every line parsed and every rule evaluated.
/// </summary>
public sealed record ScanOptimizations
{
    /// <summary>The plain evaluator: no optimisation at all.</summary>
    public static ScanOptimizations None { get; } = new() { LiteralPrefilter = false, Parallelism = 1, CompactCandidates = false, CategoryRouting = false, IndexProjection = false, ValueRouting = false, LinesByReference = false, InOrderSequences = false };

    /// <summary>
    /// Skip lines that contain none of the literals some rule requires (see <c>LinePrefilter</c>): such a line cannot match any
    /// rule, so it is counted but not parsed. Lines with <c>\u</c> or <c>\/</c> escapes are always parsed.
    /// </summary>
    public bool LiteralPrefilter { get; init; } = true;

    /// <summary>Worker threads that parse and evaluate blocks of lines; alerts keep input order. 1 runs on the calling thread.</summary>
    public int Parallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Events kept for sequence rules hold only the fields they carry (not one slot per field of every rule).</summary>
    public bool CompactCandidates { get; init; } = true;

    /// <summary>
    /// Each event is projected with the fields of the rules that read the indexes seen so far (an event of a new index is
    /// projected again with its rules' fields), instead of every field of every loaded rule.
    /// </summary>
    public bool IndexProjection { get; init; } = true;

    /// <summary>
    /// Events kept for sequence rules from a regular, uncompressed input file keep where their line is (offset, length and a
    /// fingerprint) instead of a copy of it, and read it again only for an alert; spill files then hold no lines either. A file
    /// changed during the scan makes the scan fail instead of giving wrong alerts.
    /// </summary>
    public bool LinesByReference { get; init; } = true;

    /// <summary>
    /// While the events kept for sequence rules arrive in time order (sensor output usually does), they go to the sequence
    /// rules at once, with nothing held or spilled for ordering; the sequences found wait for the end of the input, so
    /// alerts keep their order. At the first event out of order (or without <see cref="LinesByReference"/>), the rules start
    /// again: the events already seen are read again from the input and everything is sorted as without this switch.
    /// </summary>
    public bool InOrderSequences { get; init; } = true;

    /// <summary>Event rules are routed by <c>event.category</c> as well as by index, so an event meets only rules of its category.</summary>
    public bool CategoryRouting { get; init; } = true;

    /// <summary>
    /// Event rules are indexed by the values their queries require of one field (e.g. <c>process.name in (...)</c>), so an
    /// event meets only the rules its values can satisfy (see <c>RuleDispatch</c>).
    /// </summary>
    public bool ValueRouting { get; init; } = true;
}
