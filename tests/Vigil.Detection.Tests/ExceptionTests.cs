using System.Text.Json.Nodes;
using Vigil.Rules;
using static Vigil.Detection.Tests.DetectionTestKit;

namespace Vigil.Detection.Tests;

public sealed class ExceptionTests
{
    /// <summary>Four events every test rule matches, with the fields the exceptions test.</summary>
    private static readonly string[] Events =
    [
        Event("e1", T0, more: new JsonObject
        {
            ["process"] = new JsonObject { ["name"] = "curl", ["args"] = new JsonArray("apt", "install", "curl"), ["pid"] = 100 },
            ["user"] = new JsonObject { ["name"] = "root" },
            ["container.image.name"] = "ci-runner:1",
        }),
        Event("e2", T0, more: new JsonObject
        {
            ["process"] = new JsonObject { ["name"] = "Curl", ["args"] = new JsonArray("wget") },
            ["user"] = new JsonObject { ["name"] = "alice" },
        }),
        Event("e3", T0, more: new JsonObject
        {
            ["process"] = new JsonObject { ["name"] = "wget", ["pid"] = 200 },
            ["user"] = new JsonObject { ["name"] = "bob" },
            ["container"] = new JsonObject { ["image"] = new JsonObject { ["name"] = "nginx:latest" } },
            ["host"] = new JsonObject { ["os"] = new JsonObject { ["type"] = "linux" } },
        }),
        Event("e4", T0, more: new JsonObject
        {
            ["process"] = new JsonObject { ["name"] = "x" },
            ["file"] = new JsonObject
            {
                ["Ext"] = new JsonObject
                {
                    ["code_signature"] = new JsonArray(
                        new JsonObject { ["subject_name"] = "Acme", ["trusted"] = true },
                        new JsonObject { ["subject_name"] = "Evil", ["trusted"] = false }),
                },
            },
        }),
    ];

    private static string Entry(string field, string type, string op, string? value) =>
        $$"""{"field":"{{field}}","operator":"{{op}}","type":"{{type}}"{{(value is null ? "" : ",\"value\":" + value)}}}""";

    private static string Item(params string[] entries) =>
        $$"""{"item_id":"i-{{Guid.NewGuid():N}}","list_id":"l","name":"test item","type":"simple","rule_ids":["*"],"entries":[{{string.Join(",", entries)}}]}""";

    /// <summary>The ids of the events the exceptions remove from an event rule that matches all four.</summary>
    private static string[] Excepted(params string[] items) => Excepted(Rule(), string.Join("\n", items));

    private static string[] Excepted(DetectionRule rule, string exceptionsNdjson)
    {
        var set = ExceptionLoader.LoadString(exceptionsNdjson, "exceptions.ndjson", toml: false);
        Assert.False(set.HasErrors, string.Join("\n", set.Diagnostics.Select(d => d.Render())));
        return ExceptedBy(rule, set);
    }

    private static string[] ExceptedBy(DetectionRule rule, ExceptionSet set)
    {
        var job = new ScanJob([rule], new DetectionOptions { Exceptions = set });
        var sink = new ListSink();
        var summary = job.Run([WriteInput(Events)], sink, e => throw new InvalidOperationException(e.Render()), new ScanOptions());
        var alerted = sink.Alerts.Select(OriginalEventId).ToHashSet();
        var excepted = new[] { "e1", "e2", "e3", "e4" }.Where(id => !alerted.Contains(id)).ToArray();
        Assert.Equal(excepted.Length, summary.ExceptedEvents);
        Assert.Equal(excepted.Length, job.Engine.Rules.Single().ExceptedEvents);
        return excepted;
    }

    [Fact]
    public void Is_MatchesExactlyAndCaseSensitively() =>
        Assert.Equal(["e1"], Excepted(Item(Entry("process.name", "match", "included", "\"curl\""))));

    [Fact]
    public void IsNot_ExceptsEveryOtherValue_AndEventsWithoutTheField() =>
        Assert.Equal(["e2", "e3", "e4"], Excepted(Item(Entry("process.name", "match", "excluded", "\"curl\""))));

    [Fact]
    public void IsNot_OnAFieldSomeEventsLack_ExceptsThoseEvents() =>
        Assert.Equal(["e2", "e4"], Excepted(Item(Entry("user.name", "match", "excluded", "\"root\""), Entry("process.name", "match", "excluded", "\"wget\""))));

    [Fact]
    public void IsOneOf_MatchesAnyListedValue() =>
        Assert.Equal(["e1", "e3"], Excepted(Item(Entry("process.name", "match_any", "included", "[\"curl\",\"wget\"]"))));

    [Fact]
    public void IsNotOneOf_ExceptsEventsWithNoneOfTheValues() =>
        Assert.Equal(["e2", "e4"], Excepted(Item(Entry("process.name", "match_any", "excluded", "[\"curl\",\"wget\"]"))));

    [Fact]
    public void Exists_ReadsDottedAndNestedFieldsAlike() =>
        Assert.Equal(["e1", "e3"], Excepted(Item(Entry("container.image.name", "exists", "included", null))));

    [Fact]
    public void DoesNotExist_ExceptsEventsWithoutTheField() =>
        Assert.Equal(["e2", "e4"], Excepted(Item(Entry("container.image.name", "exists", "excluded", null))));

    [Theory]
    [InlineData("ci-*", new[] { "e1" })]
    [InlineData("?ginx:*", new[] { "e3" })]
    [InlineData("*:*", new[] { "e1", "e3" })]
    [InlineData("CI-*", new string[0])]
    [InlineData("ci-runner", new string[0])]
    public void Matches_UsesStarAndQuestionMark_CaseSensitively_OverTheWholeValue(string pattern, string[] expected) =>
        Assert.Equal(expected, Excepted(Item(Entry("container.image.name", "wildcard", "included", $"\"{pattern}\""))));

    [Fact]
    public void DoesNotMatch_ExceptsEventsWithNoMatchingValue() =>
        Assert.Equal(["e2", "e3", "e4"], Excepted(Item(Entry("container.image.name", "wildcard", "excluded", "\"ci-*\""))));

    [Fact]
    public void MultiValuedFields_MatchWhenAnyValueDoes_AndExcludedWhenNoneDoes()
    {
        Assert.Equal(["e1"], Excepted(Item(Entry("process.args", "match", "included", "\"install\""))));
        Assert.Equal(["e2", "e3", "e4"], Excepted(Item(Entry("process.args", "match", "excluded", "\"install\""))));
    }

    [Fact]
    public void NumbersCompareByValue() =>
        Assert.Equal(["e3"], Excepted(Item(Entry("process.pid", "match", "included", "\"200\""))));

    [Fact]
    public void Nested_NeedsOneObjectToSatisfyEverySubEntry()
    {
        string Nested(string subject, string trusted) =>
            $$"""{"field":"file.Ext.code_signature","type":"nested","entries":[{{Entry("subject_name", "match", "included", $"\"{subject}\"")}},{{Entry("trusted", "match", "included", $"\"{trusted}\"")}}]}""";
        Assert.Equal(["e4"], Excepted(Item(Nested("Evil", "false"))));
        // "Acme" and "false" both occur, but in different objects.
        Assert.Empty(Excepted(Item(Nested("Acme", "false"))));
        var withExcluded = $$"""{"field":"file.Ext.code_signature","type":"nested","entries":[{{Entry("subject_name", "match", "excluded", "\"Acme\"")}}]}""";
        Assert.Equal(["e4"], Excepted(Item(withExcluded)));
    }

    [Fact]
    public void EntriesOfOneItemAreAnded()
    {
        Assert.Empty(Excepted(Item(Entry("process.name", "match", "included", "\"wget\""), Entry("user.name", "match", "included", "\"alice\""))));
        Assert.Equal(["e3"], Excepted(Item(Entry("process.name", "match", "included", "\"wget\""), Entry("user.name", "match", "included", "\"bob\""))));
    }

    [Fact]
    public void ItemsAreOred() =>
        Assert.Equal(["e1", "e3"], Excepted(
            Item(Entry("process.name", "match", "included", "\"curl\"")),
            Item(Entry("user.name", "match", "included", "\"bob\""))));

    [Fact]
    public void OsTypes_RestrictAnItemToThoseHosts()
    {
        var item = """{"list_id":"l","name":"by os","type":"simple","rule_ids":["*"],"os_types":["OS"],"entries":[{"field":"process.name","operator":"included","type":"match_any","value":["curl","wget"]}]}""";
        Assert.Equal(["e3"], Excepted(item.Replace("OS", "linux", StringComparison.Ordinal)));
        Assert.Empty(Excepted(item.Replace("OS", "windows", StringComparison.Ordinal)));
    }

    [Fact]
    public void ExpiredItems_NoLongerApply()
    {
        var expired = """{"list_id":"l","name":"old","type":"simple","rule_ids":["*"],"expire_time":"2020-01-01T00:00:00Z","entries":[{"field":"process.name","operator":"included","type":"match","value":"wget"}]}""";
        Assert.Empty(Excepted(expired));
        Assert.Equal(["e3"], Excepted(expired.Replace("2020-", "2999-", StringComparison.Ordinal)));
    }

    [Fact]
    public void KibanaExportNdjson_ListRuleIdsAttachItsItems_AndTheSummaryLineIsIgnored()
    {
        var rule = Rule();
        var export = $$"""
            {"_version":"WzEsMV0=","created_at":"2026-08-21T10:00:00.000Z","description":"CI noise","id":"5f0c","immutable":false,"list_id":"ci-noise","name":"CI noise","namespace_type":"single","os_types":[],"tags":[],"tie_breaker_id":"x","type":"detection","updated_at":"2026-08-21T10:00:00.000Z","version":1,"rule_ids":["{{rule.RuleId}}"]}
            {"_version":"WzIsMV0=","comments":[],"created_at":"2026-08-21T10:00:00.000Z","description":"curl in CI","entries":[{"field":"process.name","operator":"included","type":"match","value":"curl"}],"id":"7a1d","item_id":"curl-ci","list_id":"ci-noise","name":"curl in CI","namespace_type":"single","os_types":[],"tags":[],"tie_breaker_id":"y","type":"simple","updated_at":"2026-08-21T10:00:00.000Z"}
            {"_version":"WzMsMV0=","comments":[],"description":"","entries":[{"field":"user.name","operator":"included","type":"match","value":"bob"}],"item_id":"other-list","list_id":"not-attached","name":"not attached","namespace_type":"single","type":"simple"}
            {"exported_exception_list_count":1,"exported_exception_list_item_count":2,"missing_exception_list_item_count":0,"missing_exception_list_items":[],"missing_exception_lists":[],"missing_exception_lists_count":0}
            """;
        Assert.Equal(["e1"], Excepted(rule, export));
    }

    [Fact]
    public void ARulesOwnExceptionsList_AttachesTheListItNames()
    {
        var rule = Rule(extra: """exceptions_list = [{ id = "5f0c", list_id = "ci-noise", namespace_type = "single", type = "detection" }]""");
        var items = """{"list_id":"ci-noise","name":"wget","type":"simple","entries":[{"field":"process.name","operator":"included","type":"match","value":"wget"}]}""";
        Assert.Equal(["e3"], Excepted(rule, items));
        // Another rule does not reference the list, so nothing is excepted for it.
        Assert.Empty(Excepted(Rule(), items));
    }

    [Fact]
    public void JsonArrayOfItems_Loads() =>
        Assert.Equal(["e1", "e3"], Excepted(Rule(), "[" + Item(Entry("process.name", "match", "included", "\"curl\"")) + ",\n" + Item(Entry("process.name", "match", "included", "\"wget\"")) + "]"));

    [Fact]
    public void DetectionRulesToml_LoadsAndExceptsLikeTheJsonForm()
    {
        var rule = Rule();
        var toml = $$"""
            [metadata]
            creation_date = "2026/08/21"
            list_name = "CI noise"
            rule_ids = ["{{rule.RuleId}}"]
            rule_names = ["Test Rule"]
            updated_date = "2026/08/21"

            [[exceptions]]
            [exceptions.container]
            description = "CI noise"
            list_id = "ci-noise"
            name = "CI noise"
            namespace_type = "single"
            tags = []
            type = "detection"

            [[exceptions.items]]
            comments = []
            description = "wget run by bob"
            list_id = "ci-noise"
            item_id = "wget-bob"
            name = "wget by bob"
            namespace_type = "single"
            tags = []
            type = "simple"

            [[exceptions.items.entries]]
            field = "process.name"
            operator = "included"
            type = "match_any"
            value = ["wget", "fetch"]

            [[exceptions.items.entries]]
            field = "user.name"
            operator = "excluded"
            type = "match"
            value = "alice"

            [[exceptions.items]]
            description = "signed by Evil"
            name = "evil signature"
            type = "simple"

            [[exceptions.items.entries]]
            field = "file.Ext.code_signature"
            type = "nested"

            [[exceptions.items.entries.entries]]
            field = "subject_name"
            operator = "included"
            type = "wildcard"
            value = "Ev?l"
            """;
        var set = ExceptionLoader.LoadString(toml, "ci_noise_exceptions.toml", toml: true);
        Assert.False(set.HasErrors, string.Join("\n", set.Diagnostics.Select(d => d.Render())));
        Assert.Equal(2, set.Items.Length);
        Assert.Equal(["e3", "e4"], ExceptedBy(rule, set));
    }

    [Fact]
    public void SequenceRules_NeverSeeExceptedEvents()
    {
        var rule = Rule("""
            sequence by host.id with maxspan=1h
              [process where event.action == "fork"]
              [process where event.action == "exec"]
            """);
        JsonObject Host(string id) => new() { ["host"] = new JsonObject { ["id"] = id } };
        var input = WriteInput(
            Event("fork", T0, "fork", more: Host("h")),
            Event("exec-excepted", T0 + TimeSpan.FromSeconds(1), "exec", more: new JsonObject { ["host"] = new JsonObject { ["id"] = "h" }, ["user.name"] = "ci" }),
            Event("exec", T0 + TimeSpan.FromSeconds(2), "exec", more: Host("h")));
        var set = ExceptionLoader.LoadString(Item(Entry("user.name", "match", "included", "\"ci\"")), "x.ndjson", toml: false);
        var job = new ScanJob([rule], new DetectionOptions { Exceptions = set });
        var sink = new ListSink();
        var summary = job.Run([input], sink, _ => { }, new ScanOptions());
        // The sequence forms with the next exec instead of the excepted one.
        Assert.Equal(1, summary.Sequences);
        Assert.Equal(["fork", "exec"], sink.Alerts.Skip(1).Select(a => OriginalEventId(a) ?? "").ToArray());
        Assert.Equal(1, summary.ExceptedEvents);
    }

    [Fact]
    public void Replay_CountsAnExceptedEventOnce_AndItDoesNotUseUpMaxSignals()
    {
        var rule = Rule(extra: "max_signals = 1");
        var set = ExceptionLoader.LoadString(Item(Entry("process.name", "match", "included", "\"curl\"")), "x.ndjson", toml: false);
        var input = WriteInput(
            Event("excepted", T0 + TimeSpan.FromMinutes(4.5), more: new JsonObject { ["process.name"] = "curl" }),
            Event("kept", T0 + TimeSpan.FromMinutes(4.6)));
        var sink = new ListSink();
        var summary = new ReplayJob([rule], new DetectionOptions { Exceptions = set })
            .Run([input], sink, _ => { }, new ReplayOptions { Start = T0 + TimeSpan.FromMinutes(5), End = T0 + TimeSpan.FromMinutes(10) });
        Assert.Equal(["kept"], sink.Alerts.Select(a => OriginalEventId(a) ?? "").ToArray());
        Assert.Equal(1, summary.Scan.ExceptedEvents); // in two windows, counted once
    }
}
