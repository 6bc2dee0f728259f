namespace Vigil.Rules.Tests;

public sealed class IndexPatternsTests
{
    [Theory]
    [InlineData("logs-cloud_defend.process*", "logs-cloud_defend.process-default", true)]
    [InlineData("logs-cloud_defend.process*", "logs-cloud_defend.process", true)]
    [InlineData("logs-cloud_defend.process*", ".ds-logs-cloud_defend.process-default-2026.08.21-000001", true)]
    [InlineData("logs-cloud_defend.process*", "logs-cloud_defend.file-default", false)]
    [InlineData("logs-cloud_defend.process*", "Logs-cloud_defend.process-default", false)]
    [InlineData("logs-endpoint.events.process-*", "logs-endpoint.events.process-default", true)]
    [InlineData("logs-endpoint.events.process-*", "logs-endpoint.events.process", false)]
    [InlineData("logs-endpoint.events.*", "logs-endpoint.events.network-prod", true)]
    [InlineData("logs-*", "logs-system.security-default", true)]
    [InlineData("*", "anything", true)]
    [InlineData("winlogbeat-*", "winlogbeat-8.0.0-2026.01.01", true)]
    [InlineData("auditbeat-*", "logs-auditbeat", false)]
    [InlineData("apm-*-transaction*", "apm-8.0-transaction-000001", true)]
    [InlineData("apm-*-transaction*", "apm-8.0-span-000001", false)]
    [InlineData("logs-a*b*c", "logs-aXbYc", true)]
    [InlineData("logs-a*b*c", "logs-aXbYcd", false)]
    [InlineData("exact-index", "exact-index", true)]
    [InlineData("exact-index", "exact-index-2", false)]
    [InlineData("logs-*,auditbeat-*", "auditbeat-7", true)]
    [InlineData("logs-*, -logs-noisy*", "logs-noisy-default", false)]
    [InlineData("logs-*, -logs-noisy*", "logs-quiet-default", true)]
    [InlineData("remote:logs-*", "logs-x", false)]
    [InlineData(".ds-logs-x*", ".ds-logs-x-default-2026.08.21-000001", true)]
    public void Matches_FollowsElasticsearchWildcards(string pattern, string index, bool expected)
    {
        Assert.Equal(expected, IndexPatterns.Matches(pattern, index));
    }

    [Fact]
    public void Matches_AnyOfSeveralPatterns()
    {
        string[] patterns = ["auditbeat-*", "logs-endpoint.events.process*", "endgame-*"];

        Assert.True(IndexPatterns.Matches(patterns, "endgame-8"));
        Assert.True(IndexPatterns.Matches(patterns, "logs-endpoint.events.process-default"));
        Assert.False(IndexPatterns.Matches(patterns, "filebeat-8"));
    }

    [Fact]
    public void Matches_ExclusionWins_WhateverTheOrder()
    {
        Assert.False(IndexPatterns.Matches(["-logs-secret*", "logs-*"], "logs-secret-default"));
    }

    [Fact]
    public void Matches_NoPatterns_UsesKibanaDefaultIndex()
    {
        Assert.True(IndexPatterns.Matches([], "logs-system.auth-default"));
        Assert.True(IndexPatterns.Matches([], "winlogbeat-8"));
        Assert.False(IndexPatterns.Matches([], "metrics-system.cpu-default"));
        Assert.False(IndexPatterns.Matches([], "logs-x-elastic-cloud-logs-1"));
    }

    [Theory]
    [InlineData(".ds-logs-cloud_defend.process-default-2026.08.21-000001", "logs-cloud_defend.process-default")]
    [InlineData(".ds-my-stream-2026.01.02-000123", "my-stream")]
    [InlineData(".ds-logs-x-default-2026.08.21", null)]
    [InlineData("logs-x-default-2026.08.21-000001", null)]
    [InlineData(".ds--2026.08.21-000001", null)]
    public void DataStreamOf_StripsBackingIndexPrefixAndSuffix(string index, string? expected)
    {
        Assert.Equal(expected, IndexPatterns.DataStreamOf(index));
    }

    [Theory]
    [InlineData("", "", true)]
    [InlineData("*", "", true)]
    [InlineData("**", "abc", true)]
    [InlineData("a*", "", false)]
    [InlineData("*a", "bba", true)]
    [InlineData("a*a*a", "aaaa", true)]
    [InlineData("a*a*a", "aa", false)]
    public void Glob_EdgeCases(string pattern, string text, bool expected)
    {
        Assert.Equal(expected, IndexPatterns.Glob(pattern, text));
    }
}
