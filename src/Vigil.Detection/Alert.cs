using System.Text.Json.Nodes;
using Vigil.Events;

namespace Vigil.Detection;

/// <summary>An alert: the Kibana-shaped document and what it was built from.</summary>
/// <param name="Id">Deterministic alert id (<c>kibana.alert.uuid</c>).</param>
/// <param name="Rule">The rule that fired.</param>
/// <param name="Event">The source event.</param>
/// <param name="Index">The index the event was routed under (null when it carried none).</param>
/// <param name="Document">The alert document.</param>
public sealed record Alert(string Id, ActiveRule Rule, EventRecord Event, string? Index, JsonObject Document)
{
    /// <summary>A top-level field of the alert document as text (dotted alert keys, or a source field by path).</summary>
    public string? Field(string path) => Document.TryGetPropertyValue(path, out var v) && v is JsonValue value
        ? value.ToString()
        : JsonFlattener.GetText(Document, path);

    /// <summary>All values of a field as text.</summary>
    public IReadOnlyList<string> Fields(string path) => JsonFlattener.GetTexts(Document, path);
}
