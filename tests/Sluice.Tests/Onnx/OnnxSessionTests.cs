using Sluice.Onnx;
using Xunit;

namespace Sluice.Tests.Onnx;

/// <summary>
/// The ONNX Runtime binding against a real model: python3-onnx (Debian) builds a small network
/// (Gemm -> Relu -> Gemm -> Softmax) with seeded weights, numpy computes the reference outputs, and
/// the binding must agree.
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
        using var session = OnnxSession.Load(Path.Combine(_dir, "mlp.onnx"), intraOpThreads: 1);
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
        Assert.Matches(@"^1\.\d+\.\d+", OnnxSession.RuntimeVersion);
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
        var e = Assert.Throws<OnnxRuntimeException>(() => OnnxSession.Load(path));
        Assert.Contains("bad.onnx", e.Message);
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
        using var session = OnnxSession.Load(Path.Combine(_dir, "mlp.onnx"), Device.Gpu);
        Assert.Equal(Device.Gpu, session.RequestedDevice);
        Assert.Equal(Device.Cpu, session.Device);
        Assert.Contains("running on the CPU", session.Notice);
    }

    [Fact]
    public void The_available_providers_include_the_cpu_provider()
    {
        var providers = OnnxSession.AvailableProviders;
        Console.WriteLine($"ONNX Runtime {OnnxSession.RuntimeVersion} providers: {string.Join(", ", providers)}");
        Assert.Contains("CPUExecutionProvider", providers);
        Assert.All(providers, p => Assert.Matches(@"^[A-Za-z]+ExecutionProvider$", p));
    }

    [Fact]
    public void The_cuda_provider_options_calls_answer_at_their_indices()
    {
        // Entries 205-208 behave as the header says: CreateCUDAProviderOptions hands out options (a
        // build without the CUDA provider interface refuses with an error naming CUDA); Update then
        // either takes "device_id" (shown by GetCUDAProviderOptionsAsString) or, when the provider
        // libraries are not beside libonnxruntime (the npm build set up here), says it cannot load them.
        IntPtr options;
        try { options = OrtApi.CreateCudaProviderOptions(); }
        catch (OnnxRuntimeException e)
        {
            Console.WriteLine($"CreateCUDAProviderOptions: {e.Message}");
            Assert.Contains("CUDA", e.Message);
            return;
        }
        Assert.NotEqual(IntPtr.Zero, options);
        try
        {
            OrtApi.UpdateCudaProviderOptions(options, [("device_id", "0")]);
            Assert.Contains("device_id=0", OrtApi.CudaProviderOptionsAsString(options));
        }
        catch (OnnxRuntimeException e)
        {
            Console.WriteLine($"UpdateCUDAProviderOptions: {e.Message}");
            Assert.Contains("libonnxruntime_providers_", e.Message);
        }
        finally { OrtApi.ReleaseCudaProviderOptions(options); }
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
        using var gpu = OnnxSession.Load(ResNet18(), Device.Gpu, intraOpThreads: 1);
        Assert.Equal(Device.Gpu, gpu.RequestedDevice);
        if (gpu.Device == Device.Gpu)
        {
            // A machine with CUDA and a CUDA-capable ONNX Runtime: no fallback, no notice.
            Assert.Null(gpu.Notice);
            return;
        }
        using var cpu = OnnxSession.Load(ResNet18(), Device.Cpu, intraOpThreads: 1);
        Assert.Equal(Device.Cpu, cpu.Device);
        Assert.Null(cpu.Notice);
        Assert.NotNull(gpu.Notice);
        Console.WriteLine(gpu.Notice);
        Assert.Contains(OnnxSession.CudaProvider, gpu.Notice);
        Assert.Contains("resnet18.onnx", gpu.Notice);
        Assert.Contains("running on the CPU", gpu.Notice);
        Assert.Contains("Available execution providers: ", gpu.Notice);
        foreach (var p in OnnxSession.AvailableProviders) Assert.Contains(p, gpu.Notice);
        // Listed but not loadable (this npm build lists CUDA but ships no provider libraries):
        // the notice carries ONNX Runtime's own error.
        if (OnnxSession.AvailableProviders.Contains(OnnxSession.CudaProvider))
            Assert.Contains("could not be used (ONNX Runtime error", gpu.Notice);
        Assert.Equal(Logits(cpu, x), Logits(gpu, x));
    }

    [Fact]
    public void Without_the_cpu_memory_arena_resnet18_gives_identical_logits()
    {
        var x = Images();
        using var arena = OnnxSession.Load(ResNet18(), intraOpThreads: 1);
        using var noArena = OnnxSession.Load(ResNet18(), intraOpThreads: 1, cpuMemoryArena: false);
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
        using var plain = OnnxSession.Load(model, intraOpThreads: 2);
        using var tuned = OnnxSession.Load(model, intraOpThreads: 2, memoryPattern: false, sessionConfig: new Dictionary<string, string>
        {
            ["session.intra_op.allow_spinning"] = "0",
            ["session.inter_op.allow_spinning"] = "0",
        });
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
        var e = Assert.Throws<OnnxRuntimeException>(() => OnnxSession.Load(Path.Combine(_dir, "mlp.onnx"),
            sessionConfig: new Dictionary<string, string> { ["session.load_model_format"] = "ORT" }));
        Assert.Contains("mlp.onnx", e.Message);
        Assert.Contains("ORT model", e.Message);
        using var ok = OnnxSession.Load(Path.Combine(_dir, "mlp.onnx"),
            sessionConfig: new Dictionary<string, string> { ["session.load_model_format"] = "ONNX" });
        Assert.Equal(new[] { "y" }, ok.OutputNames);
    }

    [Fact]
    public void Shrinking_the_arena_after_a_run_keeps_results_and_reaches_onnx_runtime()
    {
        string model = Path.Combine(_dir, "mlp.onnx");
        var x = PythonReference.Floats(Path.Combine(_dir, "x.bin"));
        using var session = OnnxSession.Load(model, intraOpThreads: 1);
        foreach (int n in new[] { 6, 3, 6, 2 })
        {
            var plain = new float[n * 5];
            var shrunk = new float[n * 5];
            session.Run(x.AsSpan(0, n * 8), new long[] { n, 8 }, plain, new long[] { n, 5 });
            session.Run(x.AsSpan(0, n * 8), new long[] { n, 8 }, shrunk, new long[] { n, 5 }, shrinkArena: true);
            Assert.Equal(plain, shrunk);
            Assert.Contains(plain, v => v != 0);
        }

        // The run option reaches ONNX Runtime (AddRunConfigEntry, 165): without an arena there is nothing to
        // shrink, and the session does not ask; asking for a device that has no arena is refused by name.
        using var noArena = OnnxSession.Load(model, intraOpThreads: 1, cpuMemoryArena: false);
        var y = new float[6 * 5];
        noArena.Run(x.AsSpan(0, 6 * 8), new long[] { 6, 8 }, y, new long[] { 6, 5 }, shrinkArena: true);
        var e = Assert.Throws<OnnxRuntimeException>(() => RunWithRunOption(session, "memory.enable_memory_arena_shrinkage", "cpu:7", x));
        Assert.Contains("cpu:7", e.Message);
    }

    private static void RunWithRunOption(OnnxSession session, string key, string value, float[] x)
    {
        var options = Sluice.Onnx.OrtApi.CreateRunOptions();
        try
        {
            Sluice.Onnx.OrtApi.AddRunConfigEntry(options, key, value);
            session.RunWith(options, x.AsSpan(0, 8), new long[] { 1, 8 }, new float[5], new long[] { 1, 5 });
        }
        finally
        {
            Sluice.Onnx.OrtApi.ReleaseRunOptions(options);
        }
    }
}
