namespace Vigil.Eql.Semantics;

/// <summary>Static types known at bind time. Fields are <see cref="Any"/>: events carry no mapping.</summary>
internal enum EqlType
{
    Any,
    Null,
    Boolean,
    Number,
    String,
}
