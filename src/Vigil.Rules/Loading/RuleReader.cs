using System.Collections.Immutable;

namespace Vigil.Rules;

/// <summary>
/// Turns the positioned TOML tree of one rule file into a <see cref="DetectionRule"/>, checking the schema of
/// <c>detection_rules</c> (<c>rule.py</c>, <c>definitions.py</c>) on the way. Every problem goes to the sink with
/// the place of the key or value concerned; the rule is returned only when there is no error.
/// </summary>
internal static class RuleReader
{
    public static DetectionRule? Read(TTable root, DiagnosticSink sink, string? path)
    {
        var top = new TableReader(root, sink);

        // rule_id first: every later diagnostic then names the rule.
        if (root.Entries.TryGetValue("rule", out var ruleEntry) && ruleEntry.Value is TTable ruleTableNode &&
            ruleTableNode.Entries.TryGetValue("rule_id", out var idEntry) && idEntry.Value is TScalar { Value: string id })
        {
            sink.RuleId = id;
        }

        var metadataReader = top.Has("metadata") ? top.SubTable("metadata") : null;
        if (!top.Has("metadata"))
        {
            sink.Error(TextPos.Start, 1, RuleDiagnosticCodes.MissingTable, "missing required table [metadata]");
        }
        var ruleReader = top.Has("rule") ? top.SubTable("rule") : null;
        if (!top.Has("rule"))
        {
            sink.Error(TextPos.Start, 1, RuleDiagnosticCodes.MissingTable, "missing required table [rule]");
        }
        var transformReader = top.SubTable("transform");
        top.Unknown(); // unknown top-level tables stay in Raw

        var metadata = metadataReader is null ? null : ReadMetadata(metadataReader);
        var transform = transformReader is null ? null : ReadTransform(transformReader);
        if (ruleReader is null)
        {
            return null;
        }
        // Without [metadata] the rule is invalid anyway; a placeholder lets [rule] still be checked and reported.
        var (rule, queryNode) = ReadRule(ruleReader, metadata ?? new RuleMetadata { CreationDate = "", UpdatedDate = "" });
        if (sink.HasErrors || rule is null || metadata is null)
        {
            return null;
        }
        var source = queryNode is null
            ? new RuleSource(path, 0, 0)
            : new RuleSource(path, queryNode.ContentStart.Line, queryNode.ContentStart.Column);
        return rule with
        {
            Transform = transform,
            Raw = (IReadOnlyDictionary<string, object?>)root.ToPublic()!,
            Source = source,
        };
    }

    private static RuleMetadata? ReadMetadata(TableReader t)
    {
        var creation = Date(t, "creation_date", required: true);
        var updated = Date(t, "updated_date", required: true);
        var maturity = t.Enum<RuleMaturity>("maturity", false, s => (RuleEnumNames.TryParseMaturity(s, out var v), v));
        var deprecation = Date(t, "deprecation_date", required: false);
        var integration = t.StringList("integration", allowSingle: true);
        var (minStack, minStackNode) = t.StringWithNode("min_stack_version");
        if (minStack is not null && minStackNode is not null && !RuleFormats.IsStackVersion(minStack))
        {
            t.Sink.Error(minStackNode, RuleDiagnosticCodes.InvalidDate,
                $"invalid 'metadata.min_stack_version' '{minStack}': expected a version such as 9.3.0");
        }
        var osTypes = t.StringList("os_type_list");
        CheckWords(t, "os_type_list", osTypes, "windows", "linux", "macos");
        var metadata = new RuleMetadata
        {
            CreationDate = creation ?? string.Empty,
            UpdatedDate = updated ?? string.Empty,
            Maturity = maturity,
            DeprecationDate = deprecation,
            DeprecatedReason = t.String("deprecated_reason"),
            Integration = integration,
            MinStackVersion = minStack,
            MinStackComments = t.String("min_stack_comments"),
            BypassBbrTiming = t.Boolean("bypass_bbr_timing"),
            Promotion = t.Boolean("promotion"),
            Comments = t.String("comments"),
            OsTypeList = osTypes,
            QuerySchemaValidation = t.Boolean("query_schema_validation"),
            RelatedEndpointRules = t.StringList("related_endpoint_rules"),
            Extended = t.RawTable("extended"),
        };
        return metadata with
        {
            Extensions = t.Unknown(),
            Raw = (IReadOnlyDictionary<string, object?>)t.Table.ToPublic()!,
        };
    }

    private static string? Date(TableReader t, string key, bool required)
    {
        var (value, node) = t.StringWithNode(key, required);
        if (value is not null && node is not null && !RuleFormats.IsRuleDate(value))
        {
            t.Sink.Error(node, RuleDiagnosticCodes.InvalidDate,
                $"invalid date '{value}' for '{t.Qualified(key)}': expected YYYY/MM/DD");
        }
        return value;
    }

    private static void CheckWords(TableReader t, string key, ImmutableArray<string> values, params string[] allowed)
    {
        if (values.IsEmpty || t.Node(key) is not TArray array)
        {
            return;
        }
        for (var i = 0; i < array.Items.Count && i < values.Length; i++)
        {
            if (Array.IndexOf(allowed, values[i]) < 0)
            {
                t.Sink.Error(array.Items[i], RuleDiagnosticCodes.InvalidEnumValue,
                    $"invalid value '{values[i]}' in '{t.Qualified(key)}': expected one of {string.Join(", ", allowed)}");
            }
        }
    }

    private static (DetectionRule? Rule, TScalar? QueryNode) ReadRule(TableReader t, RuleMetadata metadata)
    {
        var sink = t.Sink;

        var (ruleId, ruleIdNode) = t.StringWithNode("rule_id", required: true);
        if (ruleId is not null && ruleIdNode is not null)
        {
            if (!RuleFormats.IsRuleId(ruleId))
            {
                sink.Error(ruleIdNode, RuleDiagnosticCodes.InvalidRuleId,
                    $"invalid 'rule.rule_id' '{ruleId}': expected a UUID (letters, digits, '-', '_', '.', ':' at most)");
            }
            else if (!RuleFormats.IsUuid(ruleId))
            {
                sink.Warning(ruleIdNode.Position, ruleIdNode.Width, RuleDiagnosticCodes.RuleIdNotUuid,
                    $"'rule.rule_id' '{ruleId}' is not a lower-case UUID");
            }
        }
        var name = NonEmpty(t, "name", required: true);
        var description = t.String("description", required: true);
        var author = t.StringList("author", required: true);
        var riskScore = t.Integer("risk_score", required: true);
        if (riskScore is < 0 or > 100)
        {
            sink.Error(t.Node("risk_score")!, RuleDiagnosticCodes.RiskScoreOutOfRange,
                $"'rule.risk_score' must be between 0 and 100, found {riskScore}");
            riskScore = null;
        }
        var severity = t.Enum<RuleSeverity>("severity", true, s => (RuleEnumNames.TryParseSeverity(s, out var v), v));
        var type = t.Enum<RuleType>("type", true, s => (RuleEnumNames.TryParseRuleType(s, out var v), v));

        var from = DateMath(t, "from");
        var to = DateMath(t, "to");
        var (interval, intervalNode) = t.StringWithNode("interval");
        if (interval is not null && intervalNode is not null)
        {
            if (!RuleSchedule.TryParseInterval(interval, out var every))
            {
                sink.Error(intervalNode, RuleDiagnosticCodes.InvalidInterval,
                    $"invalid 'rule.interval' '{interval}': expected digits followed by s, m, h or d (e.g. 5m)");
            }
            else if (every <= TimeSpan.Zero)
            {
                // A rule that runs every 0s cannot be scheduled (Kibana refuses it; scan --replay would too).
                sink.Error(intervalNode, RuleDiagnosticCodes.InvalidInterval, $"invalid 'rule.interval' '{interval}': must be longer than zero");
            }
        }

        var (query, queryNode) = t.StringWithNode("query");
        var language = t.Enum<QueryLanguage>("language", false, s => (RuleEnumNames.TryParseLanguage(s, out var v), v));
        var filters = t.RawTableList("filters");
        var index = t.StringList("index");
        if (type is { } ruleType)
        {
            CheckTypeShape(t, ruleType, query, queryNode, language, filters);
        }

        var rule = new DetectionRule
        {
            RuleId = ruleId ?? string.Empty,
            Name = name ?? string.Empty,
            Description = description ?? string.Empty,
            Author = author,
            RiskScore = (int)(riskScore ?? 0),
            Severity = severity ?? RuleSeverity.Low,
            Type = type ?? RuleType.Query,
            Metadata = metadata,
            License = t.String("license"),
            Note = t.String("note"),
            Setup = t.String("setup"),
            Tags = t.StringList("tags"),
            FalsePositives = t.StringList("false_positives"),
            References = t.StringList("references"),
            From = from,
            To = to,
            Interval = interval,
            MaxSignals = t.Int32("max_signals", min: 1),
            TimestampOverride = t.String("timestamp_override"),
            TimestampOverrideFallbackDisabled = t.Boolean("timestamp_override_fallback_disabled"),
            Version = t.Int32("version", min: 1),
            Revision = t.Int32("revision", min: 0),
            BuildingBlockType = t.OneOf("building_block_type", false, "default"),
            RiskScoreMapping = [.. t.TableList("risk_score_mapping").Select(ReadRiskScoreMapping).OfType<RiskScoreMapping>()],
            SeverityMapping = [.. t.TableList("severity_mapping").Select(ReadSeverityMapping).OfType<SeverityMapping>()],
            RuleNameOverride = t.String("rule_name_override"),
            TimelineId = t.String("timeline_id"),
            TimelineTitle = t.String("timeline_title"),
            Enabled = t.Boolean("enabled"),
            Threat = ReadThreat(t, "threat"),
            ThreatMappings = [.. t.TableList("threat_mappings").Select(ReadVersionedThreat).OfType<VersionedThreatMapping>()],
            InvestigationFields = ReadInvestigationFields(t),
            Filters = filters,
            ExceptionsList = t.RawTableList("exceptions_list"),
            Actions = t.RawTableList("actions"),
            ResponseActions = t.RawTableList("response_actions"),
            Meta = t.RawTable("meta"),
            Throttle = t.String("throttle"),
            RelatedIntegrations = [.. t.TableList("related_integrations").Select(ReadRelatedIntegration).OfType<RelatedIntegration>()],
            RequiredFields = [.. t.TableList("required_fields").Select(ReadRequiredField).OfType<RequiredField>()],
            Query = query,
            Language = language,
            Index = index,
            DataViewId = t.String("data_view_id"),
            AlertSuppression = ReadAlertSuppression(t, type),
            EventCategoryOverride = t.String("event_category_override"),
            TiebreakerField = t.String("tiebreaker_field"),
            TimestampField = t.String("timestamp_field"),
            Threshold = ReadThreshold(t, type == RuleType.Threshold),
            NewTerms = ReadNewTerms(t, type == RuleType.NewTerms),
            ThreatIndex = t.StringList("threat_index", required: type == RuleType.ThreatMatch),
            ThreatMapping = ReadThreatMatchMapping(t, type == RuleType.ThreatMatch),
            ThreatQuery = t.String("threat_query"),
            ThreatLanguage = t.Enum<QueryLanguage>("threat_language", t.Has("threat_query"),
                s => (RuleEnumNames.TryParseLanguage(s, out var v), v)),
            ThreatFilters = t.RawTableList("threat_filters"),
            ThreatIndicatorPath = t.String("threat_indicator_path"),
            ConcurrentSearches = t.Int32("concurrent_searches", min: 1),
            ItemsPerSearch = t.Int32("items_per_search", min: 1),
            AnomalyThreshold = t.Int32("anomaly_threshold", required: type == RuleType.MachineLearning, min: 0),
            MachineLearningJobId = t.StringList("machine_learning_job_id", required: type == RuleType.MachineLearning, allowSingle: true),
        };
        if (type == RuleType.Esql && t.Has("index"))
        {
            sink.Error(t.KeyPosition("index"), "index".Length, RuleDiagnosticCodes.FieldNotAllowed,
                "'rule.index' is not allowed in an esql rule: the query's FROM names the indices");
        }
        if (t.Has("index") && t.Has("data_view_id"))
        {
            sink.Error(t.KeyPosition("data_view_id"), "data_view_id".Length, RuleDiagnosticCodes.FieldNotAllowed,
                "set only one of 'rule.index' and 'rule.data_view_id'");
        }
        rule = rule with
        {
            Extensions = t.Unknown(),
            RuleTable = (IReadOnlyDictionary<string, object?>)t.Table.ToPublic()!,
        };
        return (rule, queryNode);
    }

    private static void CheckTypeShape(TableReader t, RuleType type, string? query, TScalar? queryNode,
        QueryLanguage? language, ImmutableArray<IReadOnlyDictionary<string, object?>> filters)
    {
        if (type == RuleType.MachineLearning)
        {
            return;
        }
        // Query-family rules: a language, and a non-empty query except for a KQL rule made of filters alone.
        if (!t.Has("language"))
        {
            t.Missing("language");
        }
        var queryOptional = type == RuleType.SavedQuery || (type == RuleType.Query && !filters.IsEmpty);
        if (queryNode is null)
        {
            if (!queryOptional && !t.Has("query"))
            {
                t.Missing("query");
            }
        }
        else if (!queryOptional && string.IsNullOrWhiteSpace(query))
        {
            t.Sink.Error(queryNode, RuleDiagnosticCodes.InvalidValue, "'rule.query' must not be empty");
        }
        if (language is not { } lang || t.Node("language") is not { } languageNode)
        {
            return;
        }
        var fits = type switch
        {
            RuleType.Eql => lang == QueryLanguage.Eql,
            RuleType.Esql => lang == QueryLanguage.Esql,
            _ => lang is QueryLanguage.Kuery or QueryLanguage.Lucene,
        };
        if (!fits)
        {
            var expected = type switch
            {
                RuleType.Eql => "eql",
                RuleType.Esql => "esql",
                _ => "kuery or lucene",
            };
            t.Sink.Error(languageNode, RuleDiagnosticCodes.LanguageMismatch,
                $"'rule.language' '{lang.ToWireName()}' does not fit a rule of type '{type.ToWireName()}': expected {expected}");
        }
    }

    private static string? NonEmpty(TableReader t, string key, bool required)
    {
        var (value, node) = t.StringWithNode(key, required);
        if (value is not null && node is not null && string.IsNullOrWhiteSpace(value))
        {
            t.Sink.Error(node, RuleDiagnosticCodes.InvalidValue, $"'{t.Qualified(key)}' must not be empty");
        }
        return value;
    }

    private static string? DateMath(TableReader t, string key)
    {
        var (value, node) = t.StringWithNode(key);
        if (value is not null && node is not null && !RuleSchedule.IsValidDateMath(value))
        {
            t.Sink.Error(node, RuleDiagnosticCodes.InvalidDateMath,
                $"invalid '{t.Qualified(key)}' '{value}': expected date math such as now-6m");
        }
        return value;
    }

    private static RiskScoreMapping? ReadRiskScoreMapping(TableReader t)
    {
        var field = t.String("field", required: true);
        var op = t.OneOf("operator", false, "equals");
        var value = t.String("value");
        var score = t.Int32("risk_score", min: 0);
        t.Unknown();
        return field is null ? null : new RiskScoreMapping(field, op, value, score);
    }

    private static SeverityMapping? ReadSeverityMapping(TableReader t)
    {
        var field = t.String("field", required: true);
        var op = t.OneOf("operator", false, "equals");
        var value = t.String("value");
        var severity = t.Enum<RuleSeverity>("severity", false, s => (RuleEnumNames.TryParseSeverity(s, out var v), v));
        t.Unknown();
        return field is null ? null : new SeverityMapping(field, op, value, severity);
    }

    private static ImmutableArray<ThreatEntry> ReadThreat(TableReader t, string key) =>
        [.. t.TableList(key).Select(ReadThreatEntry).OfType<ThreatEntry>()];

    private static ThreatEntry? ReadThreatEntry(TableReader t)
    {
        var framework = t.OneOf("framework", true, "MITRE ATT&CK", "MITRE ATLAS");
        var tacticReader = t.SubTable("tactic", required: true);
        ThreatTactic? tactic = null;
        if (tacticReader is not null)
        {
            var id = tacticReader.String("id", required: true);
            var name = tacticReader.String("name", required: true);
            var reference = Reference(tacticReader, RuleFormats.IsTacticUrl, "https://attack.mitre.org/tactics/TA0002/");
            tacticReader.Unknown();
            if (id is not null && name is not null && reference is not null)
            {
                tactic = new ThreatTactic(id, name, reference);
            }
        }
        var techniques = t.TableList("technique").Select(technique =>
        {
            var id = technique.String("id", required: true);
            var name = technique.String("name", required: true);
            var reference = Reference(technique, RuleFormats.IsTechniqueUrl, "https://attack.mitre.org/techniques/T1072/");
            var subtechniques = technique.TableList("subtechnique").Select(sub =>
            {
                var subId = sub.String("id", required: true);
                var subName = sub.String("name", required: true);
                var subReference = Reference(sub, RuleFormats.IsSubtechniqueUrl, "https://attack.mitre.org/techniques/T1027/013/");
                sub.Unknown();
                return subId is null || subName is null || subReference is null ? null : new ThreatSubtechnique(subId, subName, subReference);
            }).OfType<ThreatSubtechnique>().ToImmutableArray();
            technique.Unknown();
            return id is null || name is null || reference is null ? null : new ThreatTechnique(id, name, reference, subtechniques);
        }).OfType<ThreatTechnique>().ToImmutableArray();
        t.Unknown();
        return framework is null || tactic is null ? null : new ThreatEntry(framework, tactic, techniques);
    }

    private static string? Reference(TableReader t, Func<string, bool> isValid, string example)
    {
        var (value, node) = t.StringWithNode("reference", required: true);
        if (value is not null && node is not null && !isValid(value))
        {
            t.Sink.Error(node, RuleDiagnosticCodes.InvalidThreatReference,
                $"invalid '{t.Qualified("reference")}' '{value}': expected a URL like {example}");
        }
        return value;
    }

    private static VersionedThreatMapping? ReadVersionedThreat(TableReader t)
    {
        var framework = t.String("framework", required: true);
        var node = t.Node("version");
        string? version = node switch
        {
            TScalar { Value: string s } => s,
            TScalar { Value: long l } => l.ToString(System.Globalization.CultureInfo.InvariantCulture),
            null => null,
            _ => null,
        };
        if (node is null)
        {
            t.Missing("version");
        }
        var threat = ReadThreat(t, "threat");
        t.Unknown();
        return framework is null || version is null ? null : new VersionedThreatMapping(framework, version, threat);
    }

    private static InvestigationFields? ReadInvestigationFields(TableReader t)
    {
        var table = t.SubTable("investigation_fields");
        if (table is null)
        {
            return null;
        }
        var names = table.StringList("field_names", required: true);
        if (table.Node("field_names") is TArray array)
        {
            for (var i = 0; i < names.Length && i < array.Items.Count; i++)
            {
                if (names[i].Length == 0)
                {
                    t.Sink.Error(array.Items[i], RuleDiagnosticCodes.InvalidValue, "'rule.investigation_fields.field_names' items must not be empty");
                }
            }
        }
        table.Unknown();
        return new InvestigationFields(names);
    }

    private static RelatedIntegration? ReadRelatedIntegration(TableReader t)
    {
        var package = t.String("package", required: true);
        var version = t.String("version", required: true);
        var integration = t.String("integration");
        t.Unknown();
        return package is null || version is null ? null : new RelatedIntegration(package, version, integration);
    }

    private static RequiredField? ReadRequiredField(TableReader t)
    {
        var name = t.String("name", required: true);
        var type = t.String("type", required: true);
        var ecs = t.Boolean("ecs");
        if (!t.Has("ecs"))
        {
            t.Missing("ecs");
        }
        t.Unknown();
        return name is null || type is null || ecs is null ? null : new RequiredField(name, type, ecs.Value);
    }

    private static AlertSuppression? ReadAlertSuppression(TableReader t, RuleType? type)
    {
        var table = t.SubTable("alert_suppression");
        if (table is null)
        {
            return null;
        }
        // Threshold rules suppress on their threshold fields, so only their suppression may lack group_by.
        var groupBy = table.StringList("group_by", required: type != RuleType.Threshold);
        if (groupBy.Length > 3 && table.Node("group_by") is { } groupNode)
        {
            t.Sink.Error(groupNode, RuleDiagnosticCodes.InvalidValue,
                $"'rule.alert_suppression.group_by' takes 1 to 3 fields, found {groupBy.Length}");
        }
        SuppressionDuration? duration = null;
        if (table.SubTable("duration") is { } durationTable)
        {
            var unit = durationTable.OneOf("unit", true, "s", "m", "h");
            var value = durationTable.Integer("value", required: true);
            if (value < 1)
            {
                t.Sink.Error(durationTable.Node("value")!, RuleDiagnosticCodes.InvalidValue,
                    "'rule.alert_suppression.duration.value' must be at least 1");
            }
            durationTable.Unknown();
            if (unit is not null && value is >= 1)
            {
                duration = new SuppressionDuration(unit, value.Value);
            }
        }
        var strategy = table.OneOf("missing_fields_strategy", false, "suppress", "doNotSuppress");
        table.Unknown();
        return new AlertSuppression(groupBy, duration, strategy);
    }

    private static ThresholdSpec? ReadThreshold(TableReader t, bool required)
    {
        var table = t.SubTable("threshold", required);
        if (table is null)
        {
            return null;
        }
        var fields = table.StringList("field", allowSingle: true);
        if (fields.Length > 5 && table.Node("field") is { } fieldNode)
        {
            t.Sink.Error(fieldNode, RuleDiagnosticCodes.InvalidValue, $"'rule.threshold.field' takes at most 5 fields, found {fields.Length}");
        }
        var value = table.Integer("value", required: true);
        if (value < 1)
        {
            t.Sink.Error(table.Node("value")!, RuleDiagnosticCodes.InvalidValue, "'rule.threshold.value' must be at least 1");
        }
        var cardinality = table.TableList("cardinality").Select(c =>
        {
            var field = c.String("field", required: true);
            var count = c.Integer("value", required: true);
            if (count < 1)
            {
                t.Sink.Error(c.Node("value")!, RuleDiagnosticCodes.InvalidValue, "'rule.threshold.cardinality.value' must be at least 1");
            }
            c.Unknown();
            return field is null || count is null ? null : new ThresholdCardinality(field, count.Value);
        }).OfType<ThresholdCardinality>().ToImmutableArray();
        table.Unknown();
        return value is null ? null : new ThresholdSpec(fields, value.Value, cardinality);
    }

    private static NewTermsSpec? ReadNewTerms(TableReader t, bool required)
    {
        var table = t.SubTable("new_terms", required);
        if (table is null)
        {
            return null;
        }
        var field = table.OneOf("field", true, "new_terms_fields");
        var value = table.StringList("value", required: true);
        if ((value.Length is 0 or > 3) && table.Node("value") is { } valueNode)
        {
            t.Sink.Error(valueNode, RuleDiagnosticCodes.InvalidValue, $"'rule.new_terms.value' takes 1 to 3 fields, found {value.Length}");
        }
        var history = table.TableList("history_window_start", required: true).Select(h =>
        {
            var hField = h.OneOf("field", true, "history_window_start");
            var hValue = DateMath(h, "value");
            if (!h.Has("value"))
            {
                h.Missing("value");
            }
            h.Unknown();
            return hField is null || hValue is null ? null : new NewTermsHistoryWindow(hField, hValue);
        }).OfType<NewTermsHistoryWindow>().ToImmutableArray();
        table.Unknown();
        return field is null ? null : new NewTermsSpec(field, value, history);
    }

    private static ImmutableArray<ThreatMatchMapping> ReadThreatMatchMapping(TableReader t, bool required) =>
        [.. t.TableList("threat_mapping", required).Select(group =>
        {
            var entries = group.TableList("entries", required: true).Select(e =>
            {
                var field = e.String("field", required: true);
                var type = e.OneOf("type", true, "mapping");
                var value = e.String("value", required: true);
                var negate = e.Boolean("negate");
                e.Unknown();
                return field is null || type is null || value is null ? null : new ThreatMatchEntry(field, type, value, negate);
            }).OfType<ThreatMatchEntry>().ToImmutableArray();
            if (!entries.IsEmpty && entries.All(e => e.Negate == true))
            {
                t.Sink.Error(group.Table, RuleDiagnosticCodes.InvalidValue,
                    "a 'rule.threat_mapping' group with negated entries needs at least one entry that is not negated");
            }
            group.Unknown();
            return new ThreatMatchMapping(entries);
        })];

    private static RuleTransform ReadTransform(TableReader t)
    {
        var osquery = t.TableList("osquery").Select(o =>
        {
            var label = o.String("label", required: true);
            var query = o.String("query", required: true);
            var mapping = o.RawTable("ecs_mapping");
            o.Unknown();
            return label is null || query is null ? null : new OsqueryTransform(label, query, mapping);
        }).OfType<OsqueryTransform>().ToImmutableArray();
        var investigate = t.TableList("investigate").Select(i =>
        {
            var label = i.String("label", required: true);
            var description = i.String("description");
            var providers = ReadProviders(i);
            var relativeFrom = i.String("relativeFrom");
            var relativeTo = i.String("relativeTo");
            i.Unknown();
            return label is null ? null : new InvestigateTransform(label, description, providers, relativeFrom, relativeTo);
        }).OfType<InvestigateTransform>().ToImmutableArray();
        return new RuleTransform(osquery, investigate)
        {
            Extensions = t.Unknown(),
            Raw = (IReadOnlyDictionary<string, object?>)t.Table.ToPublic()!,
        };
    }

    private static ImmutableArray<ImmutableArray<InvestigateProvider>> ReadProviders(TableReader t)
    {
        var node = t.Node("providers");
        if (node is null)
        {
            t.Missing("providers");
            return [];
        }
        if (node is not TArray groups)
        {
            t.Sink.Error(node, RuleDiagnosticCodes.WrongType, $"'{t.Qualified("providers")}' must be an array of arrays of tables");
            return [];
        }
        var result = ImmutableArray.CreateBuilder<ImmutableArray<InvestigateProvider>>();
        foreach (var group in groups.Items)
        {
            if (group is not TArray items)
            {
                t.Sink.Error(group, RuleDiagnosticCodes.WrongType, $"items of '{t.Qualified("providers")}' must be arrays of tables");
                continue;
            }
            var providers = ImmutableArray.CreateBuilder<InvestigateProvider>();
            foreach (var item in items.Items)
            {
                if (item is not TTable table)
                {
                    t.Sink.Error(item, RuleDiagnosticCodes.WrongType, $"providers of '{t.Qualified("providers")}' must be tables");
                    continue;
                }
                var p = new TableReader(table, t.Sink);
                var field = p.String("field", required: true);
                var value = p.String("value", required: true);
                var queryType = p.String("queryType") ?? "phrase";
                var valueType = p.String("valueType") ?? "string";
                var excluded = p.Boolean("excluded") ?? false;
                p.Unknown();
                if (field is not null && value is not null)
                {
                    providers.Add(new InvestigateProvider(field, value, queryType, valueType, excluded));
                }
            }
            result.Add(providers.ToImmutable());
        }
        return result.ToImmutable();
    }
}
