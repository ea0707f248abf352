using DuckDB.NET.Data;

namespace Sluice.Testing;

/// <summary>DuckDB as the tests' oracle: runs a statement or reads a query's rows as values (the Parquet and DuckDB test projects link this file).</summary>
internal static class DuckDbOracle
{
    public static List<object?[]> Query(string sql, string database = ":memory:")
    {
        using var con = new DuckDBConnection($"DataSource={database}");
        con.Open();
        using var cmd = con.CreateCommand();
        cmd.CommandText = sql;
        using var r = cmd.ExecuteReader();
        var rows = new List<object?[]>();
        while (r.Read())
        {
            var row = new object?[r.FieldCount];
            for (int i = 0; i < row.Length; i++) row[i] = r.IsDBNull(i) ? null : r.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    public static void Execute(string sql, string database = ":memory:")
    {
        using var con = new DuckDBConnection($"DataSource={database}");
        con.Open();
        using var cmd = con.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
