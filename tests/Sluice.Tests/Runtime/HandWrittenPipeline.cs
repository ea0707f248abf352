// What the generator emits, written by hand: the reference the generator's output follows, and a
// runtime test that does not depend on the generator. The user's pipeline would be:
//
//   [Pipeline(typeof(Doc), typeof(WordRow))]
//   static partial class Words
//   {
//       [Stage] static string Clean(string text) => text.Trim().ToLowerInvariant();
//       [Filter] static bool NotEmpty(string clean) => clean.Length > 0;
//       [Explode] static void Word(string clean, RowEmitter<string> emit) { foreach (var w in clean.Split(' ')) emit.Emit(w); }
//       [Stage] static int Length(string word) => word.Length;          // throws on "boom"
//       [Stage(MaxConcurrency = 4)] static async ValueTask<long> Score(int length, CancellationToken ct) { await Task.Yield(); return length * 10L; }
//       [Stage(BatchSize = 8)] static void Doubled(ReadOnlySpan<int> length, Span<int> doubled) { ... }
//   }
//
// Segments: 0 = CPU [Clean, NotEmpty, Word, Length], 1 = async [Score], 2 = batch [Doubled].
// Boundary columns: B0 (Text, Id), B1 (Id, Word, Length), B2 (+ Score), B3 (+ Doubled).
using Sluice;

namespace Sluice.Tests.Runtime;

public sealed record Doc(string Text, int Id);
public sealed record WordRow(int Id, string Word, int Length, long Score, int Doubled);

public static class Words
{
    public static string Clean(string text) => text.Trim().ToLowerInvariant();
    public static bool NotEmpty(string clean) => clean.Length > 0;
    public static void Word(string clean, RowEmitter<string> emit) { foreach (var w in clean.Split(' ')) emit.Emit(w); }
    public static int Length(string word) => word == "boom" ? throw new InvalidOperationException("boom word") : word.Length;
    public static async ValueTask<long> Score(int length, CancellationToken ct)
    {
        await Task.Yield();
        // A 17-letter word waits on Stall, deaf to cancellation (as a call with a long timeout and no token is).
        if (length == 17) await Task.Run(() => Stall.Wait());
        return length * 10L;
    }

    /// <summary>Open unless a test closes it (see <see cref="Score"/>).</summary>
    public static readonly ManualResetEventSlim Stall = new(initialState: true);
    public static void Doubled(ReadOnlySpan<int> length, Span<int> doubled) { for (int i = 0; i < length.Length; i++) doubled[i] = length[i] * 2; }

    public static Pipeline<Doc, WordRow> Create(PipelineOptions? options = null, OnError lengthPolicy = OnError.DeadLetter) =>
        new(new PipelinePlan<Doc, WordRow>(
            "Words",
            new StageInfo[]
            {
                new("Clean", StageKind.Map, OnError.DeadLetter, new[] { "Clean" }),
                new("NotEmpty", StageKind.Filter, OnError.DeadLetter, Array.Empty<string>()),
                new("Word", StageKind.Explode, OnError.DeadLetter, new[] { "Word" }),
                new("Length", StageKind.Map, lengthPolicy, new[] { "Length" }),
                new("Score", StageKind.Async, OnError.DeadLetter, new[] { "Score" }, MaxConcurrency: 4),
                new("Doubled", StageKind.Batch, OnError.DeadLetter, new[] { "Doubled" }, BatchSize: 8),
            },
            new Segment[] { new Segment0(lengthPolicy == OnError.Null), new Segment1(), new Segment2() },
            new Func<int, Morsel>[] { c => new Batch0(c), c => new Batch1(c), c => new Batch2(c), c => new Batch3(c) },
            new Loader(), new Unloader(), null, new WordRowCodec()), options);

    /// <summary>Writes WordRow as JSON Lines, as the generator's codec would (for file outputs in host tests).</summary>
    private sealed class WordRowCodec : RowCodec<WordRow>
    {
        public override IReadOnlyList<ColumnInfo> Columns => throw new NotSupportedException("CSV is not used in these tests.");
        public override void WriteJson(System.Text.Json.Utf8JsonWriter writer, in WordRow row)
        {
            writer.WriteStartObject();
            writer.WriteNumber("id", row.Id);
            writer.WriteString("word", row.Word);
            writer.WriteNumber("length", row.Length);
            writer.WriteNumber("score", row.Score);
            writer.WriteNumber("doubled", row.Doubled);
            writer.WriteEndObject();
        }
        public override WordRow ReadJson(ref System.Text.Json.Utf8JsonReader reader) => throw new NotSupportedException();
        public override void WriteCsv(CsvRowWriter writer, in WordRow row) => throw new NotSupportedException();
        public override WordRow ReadCsv(CsvRow row) => throw new NotSupportedException();
    }

    private sealed class Batch0(int capacity) : Morsel(capacity)
    {
        public readonly Doc[] Origin = new Doc[capacity];
        public readonly string[] Text = new string[capacity];
        public readonly int[] Id = new int[capacity];
        public override object? GetOrigin(int row) => Origin[row];
        public override void DisposeRow(int row) { }
        protected override void ClearRows() { Array.Clear(Origin, 0, Count); Array.Clear(Text, 0, Count); }
    }

    private sealed class Batch1(int capacity) : Morsel(capacity)
    {
        public readonly Doc[] Origin = new Doc[capacity];
        public readonly int[] Id = new int[capacity];
        public readonly string[] Word = new string[capacity];
        public readonly int[] Length = new int[capacity];
        public override object? GetOrigin(int row) => Origin[row];
        public override void DisposeRow(int row) { }
        protected override void ClearRows() { Array.Clear(Origin, 0, Count); Array.Clear(Word, 0, Count); }
    }

    private sealed class Batch2(int capacity) : Morsel(capacity)
    {
        public readonly Doc[] Origin = new Doc[capacity];
        public readonly int[] Id = new int[capacity];
        public readonly string[] Word = new string[capacity];
        public readonly int[] Length = new int[capacity];
        public readonly long[] Score = new long[capacity];
        public override object? GetOrigin(int row) => Origin[row];
        public override void DisposeRow(int row) { }
        protected override void ClearRows() { Array.Clear(Origin, 0, Count); Array.Clear(Word, 0, Count); }
    }

    private sealed class Batch3(int capacity) : Morsel(capacity)
    {
        public readonly Doc[] Origin = new Doc[capacity];
        public readonly int[] Id = new int[capacity];
        public readonly string[] Word = new string[capacity];
        public readonly int[] Length = new int[capacity];
        public readonly long[] Score = new long[capacity];
        public readonly int[] Doubled = new int[capacity];
        public override object? GetOrigin(int row) => Origin[row];
        public override void DisposeRow(int row) { }
        protected override void ClearRows() { Array.Clear(Origin, 0, Count); Array.Clear(Word, 0, Count); }
    }

    private sealed class Loader : RowLoader<Doc>
    {
        public override void Load(ReadOnlySpan<Doc> rows, Morsel morsel)
        {
            var m = (Batch0)morsel;
            for (int i = 0; i < rows.Length; i++)
            {
                var r = rows[i];
                m.Origin[i] = r;
                m.Text[i] = r.Text;
                m.Id[i] = r.Id;
            }
            m.Count = rows.Length;
        }
    }

    private sealed class Unloader : RowUnloader<WordRow>
    {
        public override void Unload(Morsel morsel, Span<WordRow> rows)
        {
            var m = (Batch3)morsel;
            for (int i = 0; i < m.Count; i++)
                rows[i] = new WordRow(m.Id[i], m.Word[i], m.Length[i], m.Score[i], m.Doubled[i]);
        }
    }

    // Fused CPU segment: Clean -> NotEmpty -> Word (explode) -> Length.
    private sealed class Segment0(bool nullPolicy) : CpuSegment(0, 1, 2, 3)
    {
        private bool NullPolicy => nullPolicy;

        private sealed class State { public RowEmitter<string>? Word; }

        public override object? CreateResources(PipelineContext context) => new State();

        public override void Run<TProfile>(Morsel input, MorselWriter output, SegmentWorker worker)
        {
            var inp = (Batch0)input;
            var state = (State)worker.Resources!;
            var emitWord = state.Word ??= new RowEmitter<string>();
            var o = (Batch1)output.Current;
            long out1 = 0, out2 = 0;
            long t = typeof(TProfile) == typeof(Profiling.On) ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
            for (int i = 0; i < inp.Count; i++)
            {
                string text = inp.Text[i];
                string clean;
                try { clean = Words.Clean(text); }
                catch (Exception e) { worker.RowFailed(0, e, input, i); continue; }
                if (typeof(TProfile) == typeof(Profiling.On)) { long n = System.Diagnostics.Stopwatch.GetTimestamp(); worker.StageTicks[0] += n - t; t = n; }

                bool keep;
                try { keep = Words.NotEmpty(clean); }
                catch (Exception e) { worker.RowFailed(1, e, input, i); continue; }
                if (typeof(TProfile) == typeof(Profiling.On)) { long n = System.Diagnostics.Stopwatch.GetTimestamp(); worker.StageTicks[1] += n - t; t = n; }
                if (!keep) continue;
                out1++;

                emitWord.Clear();
                try { Words.Word(clean, emitWord); }
                catch (Exception e) { worker.RowFailed(2, e, input, i); continue; }
                if (typeof(TProfile) == typeof(Profiling.On)) { long n = System.Diagnostics.Stopwatch.GetTimestamp(); worker.StageTicks[2] += n - t; t = n; }
                out2 += emitWord.Count;
                for (int k = 0; k < emitWord.Count; k++)
                {
                    string word = emitWord[k];
                    int length;
                    try { length = Words.Length(word); }
                    catch (Exception e)
                    {
                        // Generated code knows the policy at compile time: Null emits `length = default;`, the others `continue;`.
                        worker.RowFailed(3, e, input, i);
                        if (!NullPolicy) continue;
                        length = default;
                    }
                    if (typeof(TProfile) == typeof(Profiling.On)) { long n = System.Diagnostics.Stopwatch.GetTimestamp(); worker.StageTicks[3] += n - t; t = n; }

                    // Re-read: a stage that blocked on the memory budget may have sent the current morsel on.
                    o = (Batch1)output.Current;
                    if (o.Count == o.Capacity) o = (Batch1)output.Flush();
                    int j = o.Count++;
                    o.Origin[j] = inp.Origin[i];
                    o.Id[j] = inp.Id[i];
                    o.Word[j] = word;
                    o.Length[j] = length;
                }
            }
            worker.RowsOut[1] += out1;
            worker.RowsOut[2] += out2;
        }
    }

    private sealed class Segment1() : AsyncSegment<long>(4)
    {
        public override ValueTask<long> InvokeAsync(Morsel input, int row, SegmentWorker worker, CancellationToken cancellationToken)
        {
            var m = (Batch1)input;
            return Words.Score(m.Length[row], cancellationToken);
        }

        public override void Emit(Morsel input, int row, long value, Morsel output, int outputRow)
        {
            var i = (Batch1)input;
            var o = (Batch2)output;
            o.Origin[outputRow] = i.Origin[row];
            o.Id[outputRow] = i.Id[row];
            o.Word[outputRow] = i.Word[row];
            o.Length[outputRow] = i.Length[row];
            o.Score[outputRow] = value;
        }
    }

    private sealed class Segment2() : BatchSegment(5)
    {
        public override void Gather(Morsel input, int row, Morsel batch, int batchRow)
        {
            var i = (Batch2)input;
            var b = (Batch2)batch;
            b.Origin[batchRow] = i.Origin[row];
            b.Id[batchRow] = i.Id[row];
            b.Word[batchRow] = i.Word[row];
            b.Length[batchRow] = i.Length[row];
            b.Score[batchRow] = i.Score[row];
        }

        public override void Invoke(Morsel batch, Morsel output, SegmentWorker worker)
        {
            var b = (Batch2)batch;
            var o = (Batch3)output;
            int n = b.Count;
            Words.Doubled(b.Length.AsSpan(0, n), o.Doubled.AsSpan(0, n));
            EmitPassThrough(b, o);
        }

        public override void EmitDefaults(Morsel batch, Morsel output)
        {
            var b = (Batch2)batch;
            var o = (Batch3)output;
            Array.Clear(o.Doubled, 0, b.Count);
            EmitPassThrough(b, o);
        }

        private static void EmitPassThrough(Batch2 b, Batch3 o)
        {
            int n = b.Count;
            Array.Copy(b.Origin, o.Origin, n);
            Array.Copy(b.Id, o.Id, n);
            Array.Copy(b.Word, o.Word, n);
            Array.Copy(b.Length, o.Length, n);
            Array.Copy(b.Score, o.Score, n);
            o.Count = n;
        }
    }
}
