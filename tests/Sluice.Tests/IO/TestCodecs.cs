// Hand-written row codecs shaped like the ones the generator emits: JSON properties match columns
// ignoring case, required columns that are missing throw RowFormatException.Missing, CSV goes by ordinal.
using System.Text.Json;
using Sluice;
using Sluice.Tests.Runtime;

namespace Sluice.Tests.IO;

public enum Color { Red, Green, Blue }

public sealed record Item(string Name, int Count, double? Score, bool Active, Color Color, uint[] Tags)
{
    public bool Equals(Item? other) =>
        other is not null && Name == other.Name && Count == other.Count && Score == other.Score &&
        Active == other.Active && Color == other.Color && Tags.AsSpan().SequenceEqual(other.Tags);

    public override int GetHashCode() => HashCode.Combine(Name, Count, Score, Active, Color, Tags.Length);
}

public sealed class ItemCodec : RowCodec<Item>
{
    private static readonly ColumnInfo[] s_columns =
    {
        new("Name", typeof(string), true),
        new("Count", typeof(int), true),
        new("Score", typeof(double?), false),
        new("Active", typeof(bool), true),
        new("Color", typeof(Color), true),
        new("Tags", typeof(uint[]), false),
    };

    public override IReadOnlyList<ColumnInfo> Columns => s_columns;

    public override Item ReadJson(ref Utf8JsonReader reader)
    {
        string? name = null;
        int count = 0;
        double? score = null;
        bool active = false;
        Color color = default;
        uint[]? tags = null;
        bool hasName = false, hasCount = false, hasActive = false, hasColor = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (ColumnValue.IsProperty(ref reader, "name"u8)) { reader.Read(); name = ColumnValue.ReadJson<string>(ref reader, "Name"); hasName = true; }
            else if (ColumnValue.IsProperty(ref reader, "count"u8)) { reader.Read(); count = ColumnValue.ReadJson<int>(ref reader, "Count"); hasCount = true; }
            else if (ColumnValue.IsProperty(ref reader, "score"u8)) { reader.Read(); score = ColumnValue.ReadJson<double?>(ref reader, "Score"); }
            else if (ColumnValue.IsProperty(ref reader, "active"u8)) { reader.Read(); active = ColumnValue.ReadJson<bool>(ref reader, "Active"); hasActive = true; }
            else if (ColumnValue.IsProperty(ref reader, "color"u8)) { reader.Read(); color = ColumnValue.ReadJsonEnum<Color>(ref reader, "Color"); hasColor = true; }
            else if (ColumnValue.IsProperty(ref reader, "tags"u8)) { reader.Read(); tags = ColumnValue.ReadJsonArray<uint>(ref reader, "Tags"); }
            else { reader.Read(); reader.Skip(); }
        }
        if (!hasName) throw RowFormatException.Missing("Name");
        if (!hasCount) throw RowFormatException.Missing("Count");
        if (!hasActive) throw RowFormatException.Missing("Active");
        if (!hasColor) throw RowFormatException.Missing("Color");
        return new Item(name!, count, score, active, color, tags ?? []);
    }

    public override void WriteJson(Utf8JsonWriter writer, in Item row)
    {
        writer.WriteStartObject();
        ColumnValue.WriteJson(writer, "Name", row.Name);
        ColumnValue.WriteJson(writer, "Count", row.Count);
        ColumnValue.WriteJson(writer, "Score", row.Score);
        ColumnValue.WriteJson(writer, "Active", row.Active);
        ColumnValue.WriteJsonEnum(writer, "Color", row.Color);
        ColumnValue.WriteJsonArray(writer, "Tags", row.Tags);
        writer.WriteEndObject();
    }

    public override Item ReadCsv(CsvRow row) =>
        new(row.Get<string>(0), row.Get<int>(1), row.Get<double?>(2), row.Get<bool>(3), row.GetEnum<Color>(4), row.GetArray<uint>(5) ?? []);

    public override void WriteCsv(CsvRowWriter writer, in Item row)
    {
        writer.Write(row.Name);
        writer.Write(row.Count);
        writer.Write(row.Score);
        writer.Write(row.Active);
        writer.WriteEnum(row.Color);
        writer.WriteArray(row.Tags);
    }
}

/// <summary>A one-column record for round trips of each column type.</summary>
public sealed record Box<TValue>(TValue V);

public sealed class BoxCodec<TValue> : RowCodec<Box<TValue>>
{
    private static readonly ColumnInfo[] s_columns = { new("V", typeof(TValue), true) };
    public override IReadOnlyList<ColumnInfo> Columns => s_columns;

    public override Box<TValue> ReadJson(ref Utf8JsonReader reader)
    {
        TValue value = default!;
        bool has = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (ColumnValue.IsProperty(ref reader, "v"u8)) { reader.Read(); value = ColumnValue.ReadJson<TValue>(ref reader, "V"); has = true; }
            else { reader.Read(); reader.Skip(); }
        }
        return has ? new Box<TValue>(value) : throw RowFormatException.Missing("V");
    }

    public override void WriteJson(Utf8JsonWriter writer, in Box<TValue> row)
    {
        writer.WriteStartObject();
        ColumnValue.WriteJson(writer, "V", row.V);
        writer.WriteEndObject();
    }

    public override Box<TValue> ReadCsv(CsvRow row) => new(row.Get<TValue>(0));
    public override void WriteCsv(CsvRowWriter writer, in Box<TValue> row) => writer.Write(row.V);
}

public sealed class DocCodec : RowCodec<Doc>
{
    private static readonly ColumnInfo[] s_columns = { new("Text", typeof(string), true), new("Id", typeof(int), true) };
    public override IReadOnlyList<ColumnInfo> Columns => s_columns;

    public override Doc ReadJson(ref Utf8JsonReader reader)
    {
        string? text = null;
        int id = 0;
        bool hasText = false, hasId = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (ColumnValue.IsProperty(ref reader, "text"u8)) { reader.Read(); text = ColumnValue.ReadJson<string>(ref reader, "Text"); hasText = true; }
            else if (ColumnValue.IsProperty(ref reader, "id"u8)) { reader.Read(); id = ColumnValue.ReadJson<int>(ref reader, "Id"); hasId = true; }
            else { reader.Read(); reader.Skip(); }
        }
        if (!hasText) throw RowFormatException.Missing("Text");
        if (!hasId) throw RowFormatException.Missing("Id");
        return new Doc(text!, id);
    }

    public override void WriteJson(Utf8JsonWriter writer, in Doc row)
    {
        writer.WriteStartObject();
        ColumnValue.WriteJson(writer, "Text", row.Text);
        ColumnValue.WriteJson(writer, "Id", row.Id);
        writer.WriteEndObject();
    }

    public override Doc ReadCsv(CsvRow row) => new(row.Get<string>(0), row.Get<int>(1));

    public override void WriteCsv(CsvRowWriter writer, in Doc row)
    {
        writer.Write(row.Text);
        writer.Write(row.Id);
    }
}

public sealed class WordRowCodec : RowCodec<WordRow>
{
    private static readonly ColumnInfo[] s_columns =
    {
        new("Id", typeof(int), true), new("Word", typeof(string), true), new("Length", typeof(int), true),
        new("Score", typeof(long), true), new("Doubled", typeof(int), true),
    };
    public override IReadOnlyList<ColumnInfo> Columns => s_columns;

    public override WordRow ReadJson(ref Utf8JsonReader reader)
    {
        int id = 0, length = 0, doubled = 0;
        long score = 0;
        string? word = null;
        int seen = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (ColumnValue.IsProperty(ref reader, "id"u8)) { reader.Read(); id = ColumnValue.ReadJson<int>(ref reader, "Id"); seen |= 1; }
            else if (ColumnValue.IsProperty(ref reader, "word"u8)) { reader.Read(); word = ColumnValue.ReadJson<string>(ref reader, "Word"); seen |= 2; }
            else if (ColumnValue.IsProperty(ref reader, "length"u8)) { reader.Read(); length = ColumnValue.ReadJson<int>(ref reader, "Length"); seen |= 4; }
            else if (ColumnValue.IsProperty(ref reader, "score"u8)) { reader.Read(); score = ColumnValue.ReadJson<long>(ref reader, "Score"); seen |= 8; }
            else if (ColumnValue.IsProperty(ref reader, "doubled"u8)) { reader.Read(); doubled = ColumnValue.ReadJson<int>(ref reader, "Doubled"); seen |= 16; }
            else { reader.Read(); reader.Skip(); }
        }
        for (int i = 0; i < s_columns.Length; i++)
            if ((seen & (1 << i)) == 0) throw RowFormatException.Missing(s_columns[i].Name);
        return new WordRow(id, word!, length, score, doubled);
    }

    public override void WriteJson(Utf8JsonWriter writer, in WordRow row)
    {
        writer.WriteStartObject();
        ColumnValue.WriteJson(writer, "Id", row.Id);
        ColumnValue.WriteJson(writer, "Word", row.Word);
        ColumnValue.WriteJson(writer, "Length", row.Length);
        ColumnValue.WriteJson(writer, "Score", row.Score);
        ColumnValue.WriteJson(writer, "Doubled", row.Doubled);
        writer.WriteEndObject();
    }

    public override WordRow ReadCsv(CsvRow row) =>
        new(row.Get<int>(0), row.Get<string>(1), row.Get<int>(2), row.Get<long>(3), row.Get<int>(4));

    public override void WriteCsv(CsvRowWriter writer, in WordRow row)
    {
        writer.Write(row.Id);
        writer.Write(row.Word);
        writer.Write(row.Length);
        writer.Write(row.Score);
        writer.Write(row.Doubled);
    }
}
