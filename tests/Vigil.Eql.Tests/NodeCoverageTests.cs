using System.Collections;
using System.Reflection;
using Vigil.Eql.Syntax;

namespace Vigil.Eql.Tests;

/// <summary>Every AST node type goes through every pass: the golden queries must contain each one.</summary>
public sealed class NodeCoverageTests
{
    private static readonly Type[] NodeTypes = typeof(Expr).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && (typeof(Expr).IsAssignableFrom(t) || typeof(QueryBody).IsAssignableFrom(t) || typeof(PipeNode).IsAssignableFrom(t)))
        .ToArray();

    [Fact]
    public void GoldenQueries_CoverEveryNodeType_ThroughParsePrintBindAndCompile()
    {
        var seen = new HashSet<Type>();
        foreach (var c in GoldenFile.Read("parse.txt"))
        {
            var compiled = Eql.Compile(c.Input);
            Walk(compiled.Syntax, seen);
        }
        var missing = NodeTypes.Where(t => !seen.Contains(t)).Select(t => t.Name).ToList();
        Assert.True(missing.Count == 0, "node types never exercised by Golden/parse.txt: " + string.Join(", ", missing));
    }

    private static void Walk(object? node, HashSet<Type> seen)
    {
        switch (node)
        {
            case null or string or EqlValue:
                return;
            case IEnumerable items:
                foreach (var item in items)
                {
                    Walk(item, seen);
                }
                return;
        }
        var type = node.GetType();
        if (type.Namespace != typeof(Expr).Namespace || type.IsEnum || type.IsPrimitive || type == typeof(SourceSpan))
        {
            return;
        }
        seen.Add(type);
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract")
            {
                Walk(p.GetValue(node), seen);
            }
        }
    }
}
