using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Sluice;
using Sluice.Text;

namespace DocumentEmbedding;

/// <summary>The texts of an embedded corpus (the chunks the pipeline wrote), read back for the baseline.</summary>
public sealed record ChunkText(string Text);

/// <summary>Reads the text column alone.</summary>
[Pipeline(typeof(ChunkRow), typeof(ChunkText))]
public static partial class ReadChunkTexts { }

/// <summary>What <see cref="InferenceBaseline.Run"/> measures.</summary>
public sealed record InferenceBaselineOptions
{
    /// <summary>The Parquet file(s) of chunks the pipeline wrote: the same texts, so the same batches.</summary>
    public required string Chunks { get; init; }
    /// <summary>The model folder.</summary>
    public string Model { get; init; } = "models/all-MiniLM-L6-v2";
    /// <summary>ONNX Runtime's intra-op threads (default: every core, as the pipeline).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;
    /// <summary>Texts a model run, as the pipeline's model-batch.</summary>
    public int BatchSize { get; init; } = 16;
    /// <summary>The bucketing window, as the pipeline's batch stage.</summary>
    public int Window { get; init; } = EmbedDocuments.Window;
    /// <summary>Sort each window by token count (as the pipeline does by default).</summary>
    public bool Bucketing { get; init; } = true;
}

/// <summary>
/// The end-to-end benchmark's baseline: ONNX Runtime alone (its own managed API, no Sluice) running the same chunks in
/// the same batches, tokenized and padded beforehand, with the session settings the pipeline uses. Its chunks/s is the
/// most the pipeline could reach on this machine with this model: the bound the pipeline is measured against.
/// </summary>
public static class InferenceBaseline
{
    /// <summary>Runs it; returns chunks/s, the time in the model, and the batch count.</summary>
    public static async Task<(double Rate, TimeSpan Elapsed, int Batches, int Chunks)> Run(InferenceBaselineOptions o, TextWriter log)
    {
        var texts = new List<string>();
        await ReadChunkTexts.Create().RunAsync(Source.Parquet<ChunkRow>(o.Chunks), Sink.To<ChunkText>(rows => { lock (texts) foreach (var r in rows) texts.Add(r.Text); }));
        var tokenizer = WordPieceTokenizer.Load(Path.Combine(o.Model, "vocab.txt"));
        // Pre-made batches: [b, longest] ids, mask, types per batch, as the pipeline packs them.
        var batches = new List<(long[] Ids, long[] Mask, long[] Types, long[] Shape, float[] Output)>();
        var ids = new long[256];
        var mask = new long[256];
        for (int w = 0; w < texts.Count; w += o.Window)
        {
            var window = texts.Skip(w).Take(o.Window).Select(t =>
            {
                int n = tokenizer.Encode(t, ids, mask);
                return ids[..n];
            }).ToList();
            if (o.Bucketing) window = window.OrderBy(t => t.Length).ToList();
            for (int b = 0; b < window.Count; b += o.BatchSize)
            {
                var rows = window.Skip(b).Take(o.BatchSize).ToList();
                int longest = rows.Max(r => r.Length);
                var bi = new long[rows.Count * longest];
                var bm = new long[rows.Count * longest];
                for (int r = 0; r < rows.Count; r++)
                {
                    rows[r].CopyTo(bi, r * longest);
                    bm.AsSpan(r * longest, rows[r].Length).Fill(1);
                }
                batches.Add((bi, bm, new long[bi.Length], [rows.Count, longest], new float[bi.Length * 384]));
            }
        }
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = o.Threads,
            InterOpNumThreads = 1,
            EnableMemoryPattern = false,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        using var session = new InferenceSession(Path.Combine(o.Model, "model.onnx"), options);
        string[] inputs = ["input_ids", "attention_mask", "token_type_ids"];
        string[] outputs = [session.OutputNames[0]];
        void RunOne((long[] Ids, long[] Mask, long[] Types, long[] Shape, float[] Output) batch)
        {
            using var a = OrtValue.CreateTensorValueFromMemory(batch.Ids, batch.Shape);
            using var m = OrtValue.CreateTensorValueFromMemory(batch.Mask, batch.Shape);
            using var t = OrtValue.CreateTensorValueFromMemory(batch.Types, batch.Shape);
            using var y = OrtValue.CreateTensorValueFromMemory(batch.Output, [batch.Shape[0], batch.Shape[1], 384]);
            session.Run(null, inputs, [a, m, t], outputs, [y]);
        }
        RunOne(batches[0]); // warm-up: the first run plans the graph
        var clock = Stopwatch.StartNew();
        foreach (var batch in batches) RunOne(batch);
        clock.Stop();
        log.WriteLine($"onnxruntime alone: {texts.Count:N0} chunks in {batches.Count:N0} batches, {clock.Elapsed.TotalSeconds:N2} s, {texts.Count / clock.Elapsed.TotalSeconds:N1} chunks/s");
        return (texts.Count / clock.Elapsed.TotalSeconds, clock.Elapsed, batches.Count, texts.Count);
    }
}
