using System.Collections.Immutable;

namespace Vigil.Rules;

/// <summary>One <c>[[rule.threat]]</c> entry: a MITRE ATT&amp;CK (or ATLAS) tactic and the techniques under it.</summary>
/// <param name="Framework"><c>MITRE ATT&amp;CK</c> or <c>MITRE ATLAS</c>.</param>
/// <param name="Tactic">The tactic.</param>
/// <param name="Techniques">The techniques (<c>technique</c>); empty when absent.</param>
public sealed record ThreatEntry(string Framework, ThreatTactic Tactic, ImmutableArray<ThreatTechnique> Techniques);

/// <summary>A MITRE tactic (<c>[rule.threat.tactic]</c>).</summary>
/// <param name="Id">For example <c>TA0002</c>.</param>
/// <param name="Name">For example <c>Execution</c>.</param>
/// <param name="Reference">For example <c>https://attack.mitre.org/tactics/TA0002/</c>.</param>
public sealed record ThreatTactic(string Id, string Name, string Reference);

/// <summary>A MITRE technique (<c>[[rule.threat.technique]]</c>).</summary>
/// <param name="Id">For example <c>T1072</c>.</param>
/// <param name="Name">For example <c>Software Deployment Tools</c>.</param>
/// <param name="Reference">For example <c>https://attack.mitre.org/techniques/T1072/</c>.</param>
/// <param name="Subtechniques">The sub-techniques (<c>subtechnique</c>); empty when absent.</param>
public sealed record ThreatTechnique(string Id, string Name, string Reference, ImmutableArray<ThreatSubtechnique> Subtechniques);

/// <summary>A MITRE sub-technique (<c>[[rule.threat.technique.subtechnique]]</c>).</summary>
/// <param name="Id">For example <c>T1027.013</c>.</param>
/// <param name="Name">The ATT&amp;CK name.</param>
/// <param name="Reference">For example <c>https://attack.mitre.org/techniques/T1027/013/</c>.</param>
public sealed record ThreatSubtechnique(string Id, string Name, string Reference);

/// <summary>A repository-only, versioned ATT&amp;CK mapping (<c>threat_mappings</c>), stripped when Kibana rules are built.</summary>
/// <param name="Framework">The framework name.</param>
/// <param name="Version">The framework version, e.g. <c>19</c>.</param>
/// <param name="Threat">The mapping for that version.</param>
public sealed record VersionedThreatMapping(string Framework, string Version, ImmutableArray<ThreatEntry> Threat);
