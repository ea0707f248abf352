using System.Text;
using System.Text.Json;

namespace Sluice;

/// <summary>
/// Matches JSON property names to a record's columns, case-insensitively. The common spellings
/// (camelCase and the property's own) are compared as UTF-8 bytes without allocating; any other
/// casing falls back to a string comparison.
/// </summary>
public sealed class JsonColumnNames
{
    private readonly string[] _names;
    private readonly byte[][] _exact;
    private readonly byte[][] _camel;

    /// <summary>Creates a matcher for the given property names (in column order).</summary>
    public JsonColumnNames(params string[] names)
    {
        _names = names;
        _exact = names.Select(n => Encoding.UTF8.GetBytes(n)).ToArray();
        _camel = names.Select(n => Encoding.UTF8.GetBytes(n.Length == 0 ? n : char.ToLowerInvariant(n[0]) + n[1..])).ToArray();
    }

    /// <summary>
    /// A matcher for columns named <paramref name="fileNames"/> in files (<c>[Column]</c>, the naming policy) that also
    /// knows them by their properties' names, <paramref name="propertyNames"/>.
    /// </summary>
    public static JsonColumnNames Named(string[] fileNames, string[] propertyNames)
    {
        var m = new JsonColumnNames(fileNames);
        m._alternates = propertyNames;
        return m;
    }

    private string[]? _alternates;

    /// <summary>The column index of the property name the reader is on, or -1 for an unknown property.</summary>
    public int Match(ref Utf8JsonReader reader)
    {
        for (int i = 0; i < _camel.Length; i++)
            if (reader.ValueTextEquals(_camel[i]) || reader.ValueTextEquals(_exact[i])) return i;
        var name = reader.GetString();
        for (int i = 0; i < _names.Length; i++)
            if (string.Equals(_names[i], name, StringComparison.OrdinalIgnoreCase)) return i;
        if (_alternates is { } alternates)
            for (int i = 0; i < alternates.Length; i++)
                if (string.Equals(alternates[i], name, StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }
}
