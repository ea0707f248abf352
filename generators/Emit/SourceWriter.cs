using System.Text;

namespace Sluice.Generators.Emit;

/// <summary>Writes indented C# text; braces indent and outdent.</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _text = new();
    private int _indent;

    public SourceWriter Line(string line = "")
    {
        if (line.Length > 0 && (line[0] == '}' || line.StartsWith(")", System.StringComparison.Ordinal))) _indent--;
        if (line.Length > 0) _text.Append(' ', _indent * 4).Append(line);
        _text.Append('\n');
        if (line.Length > 0 && line[line.Length - 1] == '{') _indent++;
        // "} else {" style lines both close and open.
        if (line.Length > 1 && line[0] == '}' && line[line.Length - 1] == '{') { }
        return this;
    }

    public void Open(string line)
    {
        Line(line);
        Line("{");
    }

    public void Close(string suffix = "") => Line("}" + suffix);

    public override string ToString() => _text.ToString();
}
