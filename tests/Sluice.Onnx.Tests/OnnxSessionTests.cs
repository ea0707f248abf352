using Microsoft.ML.OnnxRuntime;
using Sluice.Testing;
using Xunit;

namespace Sluice.Onnx.Tests;

/// <summary>
/// <see cref="OnnxSession"/> (over ONNX Runtime's official managed API) against a real model: python3-onnx
/// (Debian) builds a small network (Gemm -> Relu -> Gemm -> Softmax) with seeded weights, numpy computes the
/// reference outputs, and the session must agree.
/// </summary>
public sealed class OnnxSessionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-onnx").FullName;

    private const string MakeModel = """
        import sys, numpy as np, onnx
        from onnx import helper, TensorProto, numpy_helper
        out = sys.argv[1]
        rng = np.random.default_rng(7)
        w1 = rng.standard_normal((8, 16)).astype(np.float32); b1 = rng.standard_normal(16).astype(np.float32)
        w2 = rng.standard_normal((16, 5)).astype(np.float32); b2 = rng.standard_normal(5).astype(np.float32)
        inits = [numpy_helper.from_array(a, n) for a, n in ((w1, "w1"), (b1, "b1"), (w2, "w2"), (b2, "b2"))]
        nodes = [helper.make_node("Gemm", ["x", "w1", "b1"], ["h"]), helper.make_node("Relu", ["h"], ["r"]),
                 helper.make_node("Gemm", ["r", "w2", "b2"], ["z"]), helper.make_node("Softmax", ["z"], ["y"], axis=1)]
        graph = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 8])],
                                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 5])], inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        model.ir_version = 8
        onnx.checker.check_model(model)
        onnx.save(model, out + "/mlp.onnx")
        x = rng.standard_normal((6, 8)).astype(np.float32)
        z = np.maximum(x @ w1 + b1, 0) @ w2 + b2
        y = np.exp(z - z.max(axis=1, keepdims=True)); y /= y.sum(axis=1, keepdims=True)
        x.tofile(out + "/x.bin"); y.astype(np.float32).tofile(out + "/y.bin")
        """;

    public OnnxSessionTests() =>
        PythonReference.Run(_dir, MakeModel, "Building the test model failed (python3-onnx and python3-numpy come from scripts/setup-native.sh)", _dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_model_runs_on_caller_memory_and_matches_numpy()
    {
        using var session = OnnxSession.Load(Path.Combine(_dir, "mlp.onnx"), new() { IntraOpThreads = 1 });
        Assert.Equal(new[] { "x" }, session.InputNames);
        Assert.Equal(new[] { "y" }, session.OutputNames);
        Assert.Equal(new long[] { -1, 8 }, session.InputShape(0));
        var x = PythonReference.Floats(Path.Combine(_dir, "x.bin"));
        var expected = PythonReference.Floats(Path.Combine(_dir, "y.bin"));
        var y = new float[6 * 5];
        session.Run(x, new long[] { 6, 8 }, y, new long[] { 6, 5 });
        float maxDiff = 0;
        for (int i = 0; i < y.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(y[i] - expected[i]));
        Assert.True(maxDiff < 1e-5f, $"max abs difference {maxDiff}");
        Assert.Equal("1.32.0", OnnxSession.RuntimeVersion); // the Microsoft.ML.OnnxRuntime package this build takes
    }

    /// <summary>Six rows of x as tensors: consecutive slots of one batch buffer (as a pipeline lays them out upstream of a batch stage), or buffers of their own.</summary>
    private Tensor[] Rows(bool slots)
    {
        var x = PythonReference.Floats(Path.Combine(_dir, "x.bin"));
        var slab = slots ? new TensorSlots(6) : null;
        TensorSlots.Current = slab;
        try
        {
            var rows = new Tensor[6];
            for (int i = 0; i < 6; i++)
            {
                rows[i] = Tensor.Rent(8);
                x.AsSpan(i * 8, 8).CopyTo(rows[i].Span);
            }
            return rows;
        }
        finally
        {
            TensorSlots.Current = null;
            slab?.SealOpen();
        }
    }

    private static void Near(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-5f, $"[{i}] {expected[i]} vs {actual[i]}");
    }

    [Fact]
    public void A_batch_of_slot_tensors_is_the_model_input_as_it_is_and_other_rows_are_copied()
    {
        using var session = OnnxSession.Load(Path.Combine(_dir, "mlp.onnx"), new() { IntraOpThreads = 1, BatchSize = 6 });
        var expected = PythonReference.Floats(Path.Combine(_dir, "y.bin"));
        var slotRows = Rows(slots: true);
        var ownRows = Rows(slots: false);
        try
        {
            Assert.All(slotRows, r => Assert.True(r.IsBatchSlot));
            Assert.All(ownRows, r => Assert.False(r.IsBatchSlot));
            var y = new float[30];
            session.RunBatch(slotRows, [8], y, [5]);
            Near(expected, y);
            Assert.Equal(0, session.RowsCopied);

            // A partial batch of consecutive slots (the arena is shrunk after it) goes without a copy too.
            var part = new float[15];
            session.RunBatch(slotRows.AsSpan(2, 3), [8], part, [5]);
            Near(expected.AsSpan(10, 15), part);
            Assert.Equal(0, session.RowsCopied);

            // Rows out of order, or with buffers of their own, are copied into a staging input: same answers.
            session.RunBatch([slotRows[5], slotRows[0]], [8], part.AsSpan(0, 10), [5]);
            Near(expected.AsSpan(25, 5), part.AsSpan(0, 5));
            Near(expected.AsSpan(0, 5), part.AsSpan(5, 5));
            Assert.Equal(2, session.RowsCopied);
            Array.Clear(y);
            session.RunBatch(ownRows, [8], y, [5]);
            Near(expected, y);
            Assert.Equal(8, session.RowsCopied);

            var e = Assert.Throws<ArgumentException>(() => session.RunBatch(ownRows, [4], y, [5]));
            Assert.Contains("row shape", e.Message);
            e = Assert.Throws<ArgumentException>(() => session.RunBatch(ownRows, [8], y.AsSpan(0, 10), [5]));
            Assert.Contains("need 30", e.Message);
        }
        finally
        {
            foreach (var t in slotRows.Concat(ownRows)) t.Dispose();
        }
    }

    [Fact]
    public void Concurrent_runs_on_one_session_give_the_same_results()
    {
        using var session = OnnxSession.Load(Path.Combine(_dir, "mlp.onnx"));
        var x = PythonReference.Floats(Path.Combine(_dir, "x.bin"));
        var expected = PythonReference.Floats(Path.Combine(_dir, "y.bin"));
        Parallel.For(0, 64, _ =>
        {
            var y = new float[30];
            session.Run(x, new long[] { 6, 8 }, y, new long[] { 6, 5 });
            for (int i = 0; i < y.Length; i++) Assert.True(Math.Abs(y[i] - expected[i]) < 1e-5f);
        });
    }

    [Fact]
    public void A_missing_model_names_the_file()
    {
        var e = Assert.Throws<FileNotFoundException>(() => OnnxSession.Load(Path.Combine(_dir, "nope.onnx")));
        Assert.Contains("nope.onnx", e.Message);
    }

    [Fact]
    public void A_corrupt_model_is_a_clear_error()
    {
        var path = Path.Combine(_dir, "bad.onnx");
        File.WriteAllBytes(path, new byte[] { 1, 2, 3, 4, 5 });
        var e = Assert.Throws<OnnxModelException>(() => OnnxSession.Load(path));
        Console.WriteLine(e.Message);
        Assert.Contains("bad.onnx", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_shape_that_does_not_fit_the_buffer_is_refused_before_the_call()
    {
        using var session = OnnxSession.Load(Path.Combine(_dir, "mlp.onnx"));
        var e = Assert.Throws<ArgumentException>(() => session.Run(new float[10], new long[] { 6, 8 }, new float[30], new long[] { 6, 5 }));
        Assert.Contains("48", e.Message);
    }

    [Fact]
    public void A_gpu_request_that_cannot_use_a_gpu_provider_runs_on_the_cpu_with_a_notice()
    {
        using var session = OnnxSession.Load(Path.Combine(_dir, "mlp.onnx"), new() { Device = Device.Gpu });
        Assert.Equal(Device.Gpu, session.RequestedDevice);
        Assert.Equal(Device.Cpu, session.Device);
        Assert.Contains("running on the CPU", session.Notice);
        // One line: no stack of ONNX Runtime text.
        Assert.DoesNotContain('\n', session.Notice!);
        Assert.True(session.Notice!.Length < 400, session.Notice);
    }

    [Fact]
    public void The_available_providers_include_the_cpu_provider()
    {
        var providers = OnnxSession.AvailableProviders;
        Console.WriteLine($"ONNX Runtime {OnnxSession.RuntimeVersion} providers: {string.Join(", ", providers)}");
        Assert.Contains("CPUExecutionProvider", providers);
        Assert.All(providers, p => Assert.Matches(@"^[A-Za-z]+ExecutionProvider$", p));
    }

    [Theory]
    [InlineData("[ErrorCode:Fail] Load model from /x/m.onnx failed:/onnxruntime/src/core/graph/model.cc:181 onnxruntime::Model::Model(...) ModelProto does not have a graph.",
                "Load model from /x/m.onnx failed:ModelProto does not have a graph.")]
    [InlineData("[ErrorCode:Fail] inference_session.cc:2238 operator() ORT model verification failed.", "ORT model verification failed.")]
    [InlineData("/onnxruntime/src/core/session/provider_bridge_ort.cc:1862 onnxruntime::ProviderLibrary::Get() [ONNXRuntimeError] : 1 : FAIL : Failed to load library libonnxruntime_providers_cuda.so with error: libcublasLt.so.13: cannot open shared object file\n  at line two",
                "Failed to load library libonnxruntime_providers_cuda.so with error: libcublasLt.so.13: cannot open shared object file at line two")]
    [InlineData("[E:onnxruntime:, inference_session.cc:2105] Exception during initialization", "Exception during initialization")]
    public void Onnx_runtime_messages_are_condensed_to_their_reason_on_one_line(string message, string expected) =>
        Assert.Equal(expected, OnnxSession.OneLine(message));

    [Fact]
    public void A_cpu_build_asked_for_the_gpu_says_it_has_no_cuda_provider()
    {
        // The CPU package (Microsoft.ML.OnnxRuntime) is built without CUDA: the notice says so rather than
        // relaying a failed library load. The GPU build (-p:SluiceOnnxGpu=true, docs/onnx.md) lists CUDA.
        using var session = OnnxSession.Load(Path.Combine(_dir, "mlp.onnx"), new() { Device = Device.Gpu });
        if (OnnxSession.AvailableProviders.Contains(OnnxSession.CudaProvider)) return;
        Assert.Equal($"Device.Gpu was asked for 'mlp.onnx', but this ONNX Runtime (1.32.0, CPU build) has no {OnnxSession.CudaProvider}; " +
                     "running on the CPU. Available execution providers: " + string.Join(", ", OnnxSession.AvailableProviders) + ".", session.Notice);
    }

    private static string ResNet18() => Path.Combine(ResNet18Tests.ModelsDirectory(), "resnet18.onnx");

    private static readonly long[] ImageShape = [2, 3, 224, 224];
    private static readonly long[] LogitShape = [2, 1000];

    private static float[] Images()
    {
        var rng = new Random(5);
        var x = new float[2 * 3 * 224 * 224];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 4 - 2);
        return x;
    }

    private static float[] Logits(OnnxSession session, float[] x)
    {
        var y = new float[2 * 1000];
        session.Run(x, ImageShape, y, LogitShape);
        return y;
    }

    [Fact]
    public void A_gpu_request_for_resnet18_that_cannot_use_cuda_runs_on_the_cpu_and_says_why()
    {
        var x = Images();
        using var gpu = OnnxSession.Load(ResNet18(), new() { Device = Device.Gpu, IntraOpThreads = 1 });
        Assert.Equal(Device.Gpu, gpu.RequestedDevice);
        if (gpu.Device == Device.Gpu)
        {
            // A machine with CUDA and a CUDA-capable ONNX Runtime: no fallback, no notice.
            Assert.Null(gpu.Notice);
            return;
        }
        using var cpu = OnnxSession.Load(ResNet18(), new() { IntraOpThreads = 1 });
        Assert.Equal(Device.Cpu, cpu.Device);
        Assert.Null(cpu.Notice);
        Assert.NotNull(gpu.Notice);
        Console.WriteLine(gpu.Notice);
        Assert.Contains(OnnxSession.CudaProvider, gpu.Notice);
        Assert.Contains("resnet18.onnx", gpu.Notice);
        Assert.Contains("running on the CPU", gpu.Notice);
        Assert.Contains("Available execution providers: ", gpu.Notice);
        foreach (var p in OnnxSession.AvailableProviders) Assert.Contains(p, gpu.Notice);
        // Listed but not loadable (the GPU build on a machine without CUDA 13 and cuDNN 9): the notice
        // carries ONNX Runtime's reason, condensed to one line.
        if (OnnxSession.AvailableProviders.Contains(OnnxSession.CudaProvider))
            Assert.Contains("could not be used (", gpu.Notice);
        Assert.DoesNotContain('\n', gpu.Notice!);
        Assert.Equal(Logits(cpu, x), Logits(gpu, x));
    }

    [Fact]
    public void Without_the_cpu_memory_arena_resnet18_gives_identical_logits()
    {
        var x = Images();
        using var arena = OnnxSession.Load(ResNet18(), new() { IntraOpThreads = 1 });
        using var noArena = OnnxSession.Load(ResNet18(), new() { IntraOpThreads = 1, CpuMemoryArena = false });
        Assert.True(arena.CpuMemoryArena);
        Assert.False(noArena.CpuMemoryArena);
        var expected = Logits(arena, x);
        Assert.Equal(expected, Logits(noArena, x));
        Assert.Equal(expected, Logits(noArena, x));
        Assert.Contains(expected, v => v != 0);
    }

    [Fact]
    public void Session_options_without_memory_pattern_or_spinning_give_the_same_results()
    {
        string model = Path.Combine(_dir, "mlp.onnx");
        var x = PythonReference.Floats(Path.Combine(_dir, "x.bin"));
        using var plain = OnnxSession.Load(model, new() { IntraOpThreads = 2 });
        using var tuned = OnnxSession.Load(model, new() { IntraOpThreads = 2, MemoryPattern = false, Spinning = false });
        Assert.False(tuned.Options.Spinning);
        foreach (int n in new[] { 6, 3, 6 }) // a second batch shape, then the first again
        {
            var expected = new float[n * 5];
            var actual = new float[n * 5];
            plain.Run(x.AsSpan(0, n * 8), new long[] { n, 8 }, expected, new long[] { n, 5 });
            tuned.Run(x.AsSpan(0, n * 8), new long[] { n, 8 }, actual, new long[] { n, 5 });
            Assert.Equal(expected, actual);
            Assert.Contains(expected, v => v != 0);
        }
    }

    [Fact]
    public void Session_options_reach_onnx_runtime()
    {
        // An observable option: asked to read the ONNX file in ORT's own format, the load fails.
        var e = Assert.Throws<OnnxModelException>(() => OnnxSession.Load(Path.Combine(_dir, "mlp.onnx"),
            new() { SessionConfig = new Dictionary<string, string> { ["session.load_model_format"] = "ORT" } }));
        Console.WriteLine(e.Message);
        Assert.Contains("mlp.onnx", e.Message);
        Assert.Contains("ORT model", e.Message);
        using var ok = OnnxSession.Load(Path.Combine(_dir, "mlp.onnx"),
            new() { SessionConfig = new Dictionary<string, string> { ["session.load_model_format"] = "ONNX" } });
        Assert.Equal(new[] { "y" }, ok.OutputNames);
    }

    [Fact]
    public void Shrinking_the_arena_after_a_run_keeps_results_and_reaches_onnx_runtime()
    {
        string model = Path.Combine(_dir, "mlp.onnx");
        var x = PythonReference.Floats(Path.Combine(_dir, "x.bin"));
        using var session = OnnxSession.Load(model, new() { IntraOpThreads = 1 });
        foreach (int n in new[] { 6, 3, 6, 2 })
        {
            var plain = new float[n * 5];
            var shrunk = new float[n * 5];
            session.Run(x.AsSpan(0, n * 8), new long[] { n, 8 }, plain, new long[] { n, 5 });
            session.Run(x.AsSpan(0, n * 8), new long[] { n, 8 }, shrunk, new long[] { n, 5 }, shrinkArena: true);
            Assert.Equal(plain, shrunk);
            Assert.Contains(plain, v => v != 0);
        }

        // The run option reaches ONNX Runtime (RunOptions.AddRunConfigEntry): without an arena there is nothing to
        // shrink, and the session does not ask; asking for a device that has no arena is refused by name.
        using var noArena = OnnxSession.Load(model, new() { IntraOpThreads = 1, CpuMemoryArena = false });
        var y = new float[6 * 5];
        noArena.Run(x.AsSpan(0, 6 * 8), new long[] { 6, 8 }, y, new long[] { 6, 5 }, shrinkArena: true);
        var e = Assert.Throws<OnnxModelException>(() => RunWithRunOption(session, "memory.enable_memory_arena_shrinkage", "cpu:7", x));
        Console.WriteLine(e.Message);
        Assert.Contains("cpu:7", e.Message);
    }

    private static void RunWithRunOption(OnnxSession session, string key, string value, float[] x)
    {
        using var options = new RunOptions();
        options.AddRunConfigEntry(key, value);
        session.RunWith(options, x.AsSpan(0, 8), new long[] { 1, 8 }, new float[5], new long[] { 1, 5 });
    }
}
