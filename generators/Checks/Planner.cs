using System.Collections.Generic;
using System.Linq;
using Sluice.Generators.Model;

namespace Sluice.Generators.Checks;

/// <summary>
/// Derives the execution shape from a checked model: liveness (stages nobody needs are not run,
/// each column is dropped after its last reader), fusion into segments, and the columns each
/// segment boundary carries.
/// </summary>
internal static class Planner
{
    public static Plan Build(PipelineModel model, List<DiagnosticInfo> diagnostics)
    {
        int stageCount = model.Stages.Length;
        int columnCount = model.Columns.Length;
        var live = Enumerable.Repeat(true, stageCount).ToArray();
        var isOutput = new bool[columnCount];
        foreach (var c in model.OutputColumns) if (c >= 0) isOutput[c] = true;

        // Liveness to a fixed point: a stage whose columns nobody live reads is not run, which may
        // leave the columns it read unread in turn. Filters and explodes always run: they change rows.
        bool changed = true;
        while (changed)
        {
            changed = false;
            for (int s = 0; s < stageCount; s++)
            {
                var stage = model.Stages[s];
                if (!live[s] || stage.Kind is StageKind.Filter or StageKind.Explode) continue;
                if (stage.Writes.Any(c => isOutput[c] || HasLiveReader(model, live, c))) continue;
                live[s] = false;
                changed = true;
            }
        }
        for (int s = 0; s < stageCount; s++)
        {
            if (live[s]) continue;
            var stage = model.Stages[s];
            diagnostics.Add(new DiagnosticInfo(Descriptors.UnusedStage.Id, stage.Location,
                new[] { stage.Method, string.Join(", ", stage.Writes.Select(c => model.Columns[c].Name)) }.ToEquatableArray()));
        }

        var lastReader = new int[columnCount];
        for (int c = 0; c < columnCount; c++)
        {
            lastReader[c] = isOutput[c] ? Plan.Sink : Plan.Unread;
            if (isOutput[c]) continue;
            for (int s = 0; s < stageCount; s++)
                if (live[s] && Reads(model.Stages[s], c)) lastReader[c] = s;
        }

        // A payload belongs to one row: it cannot be carried past an explode that copies the row.
        for (int e = 0; e < stageCount; e++)
        {
            if (!live[e] || model.Stages[e].Kind != StageKind.Explode) continue;
            for (int c = 0; c < columnCount; c++)
            {
                var col = model.Columns[c];
                if (col.Type.IsDisposable && col.Producer < e && (col.Producer < 0 || live[col.Producer]) && lastReader[c] > e)
                    diagnostics.Add(new DiagnosticInfo(Descriptors.PayloadAcrossExplode.Id, model.Stages[e].Location,
                        new[] { col.Name, model.Stages[e].Method }.ToEquatableArray()));
            }
        }

        // Fusion: consecutive synchronous per-row stages share one CPU segment; async and batch stages stand alone.
        var segments = new List<(SegmentKind kind, List<int> stages)>();
        for (int s = 0; s < stageCount; s++)
        {
            if (!live[s]) continue;
            var kind = model.Stages[s].Kind switch
            {
                StageKind.Async => SegmentKind.Async,
                StageKind.Batch => SegmentKind.Batch,
                _ => SegmentKind.Cpu,
            };
            if (kind == SegmentKind.Cpu && segments.Count > 0 && segments[segments.Count - 1].kind == SegmentKind.Cpu)
                segments[segments.Count - 1].stages.Add(s);
            else
                segments.Add((kind, new List<int> { s }));
        }

        // Boundary b feeds segment b: the columns made before it that someone at or after it still reads.
        var boundaries = new List<EquatableArray<int>>();
        for (int b = 0; b <= segments.Count; b++)
        {
            int first = b < segments.Count ? segments[b].stages[0] : Plan.Sink;
            var cols = new List<int>();
            for (int c = 0; c < columnCount; c++)
            {
                var producer = model.Columns[c].Producer;
                bool made = producer < 0 || (live[producer] && producer < first);
                if (made && lastReader[c] != Plan.Unread && lastReader[c] >= first) cols.Add(c);
            }
            boundaries.Add(cols.ToEquatableArray());
        }

        return new Plan(
            Enumerable.Range(0, stageCount).Where(s => live[s]).ToEquatableArray(),
            segments.Select(x => new SegmentPlan(x.kind, x.stages.ToEquatableArray())).ToEquatableArray(),
            boundaries.ToEquatableArray(),
            lastReader.ToEquatableArray());
    }

    private static bool HasLiveReader(PipelineModel model, bool[] live, int column)
    {
        for (int s = 0; s < model.Stages.Length; s++)
            if (live[s] && Reads(model.Stages[s], column)) return true;
        return false;
    }

    public static bool Reads(StageModel stage, int column) =>
        stage.Parameters.Any(p => p.Kind == ParamKind.Column && p.Index == column);
}
