using System.Runtime.InteropServices;

namespace Sluice.Onnx;

/// <summary>
/// An ONNX model loaded into ONNX Runtime (through the project's own binding of its C API). Input and
/// output tensors are built over the caller's memory, so a batch tensor in a pooled buffer goes to the
/// model and the results come back without copies. <see cref="Run(ReadOnlySpan{float}, ReadOnlySpan{long}, Span{float}, ReadOnlySpan{long}, bool)"/>
/// may be called from several threads at once. Meant as a pipeline <c>[Resource]</c>.
/// </summary>
public sealed unsafe class OnnxSession : IDisposable
{
    private static readonly Lazy<IntPtr> s_env = new(() => OrtApi.CreateEnv(3 /* errors only */, "sluice"));
    private static readonly Lazy<IntPtr> s_cpuMemory = new(OrtApi.CreateCpuMemoryInfo);
    private static readonly Lazy<IReadOnlyList<string>> s_providers = new(() => Array.AsReadOnly(OrtApi.AvailableProviders()));

    /// <summary>The name ONNX Runtime gives its CUDA execution provider.</summary>
    public const string CudaProvider = "CUDAExecutionProvider";

    private IntPtr _session;
    private readonly IntPtr[] _inputNames;
    private readonly IntPtr[] _outputNames;

    private OnnxSession(string path, IntPtr session, Device requested, Device device, bool cpuMemoryArena, string? notice)
    {
        Path = path;
        _session = session;
        RequestedDevice = requested;
        Device = device;
        CpuMemoryArena = cpuMemoryArena;
        Notice = notice;
        InputNames = Enumerable.Range(0, (int)OrtApi.InputCount(session)).Select(i => OrtApi.InputName(session, (nuint)i)).ToArray();
        OutputNames = Enumerable.Range(0, (int)OrtApi.OutputCount(session)).Select(i => OrtApi.OutputName(session, (nuint)i)).ToArray();
        _inputNames = InputNames.Select(Marshal.StringToCoTaskMemUTF8).ToArray();
        _outputNames = OutputNames.Select(Marshal.StringToCoTaskMemUTF8).ToArray();
    }

    /// <summary>The model file.</summary>
    public string Path { get; }
    /// <summary>The device the caller asked for.</summary>
    public Device RequestedDevice { get; }
    /// <summary>The device the model runs on: <see cref="Device.Gpu"/> only when the CUDA execution provider was added.</summary>
    public Device Device { get; }
    /// <summary>Whether ONNX Runtime's CPU memory arena is on for this session.</summary>
    public bool CpuMemoryArena { get; }
    /// <summary>Why the model runs elsewhere than asked (null when it runs where asked).</summary>
    public string? Notice { get; }
    /// <summary>The model's input names, in order.</summary>
    public IReadOnlyList<string> InputNames { get; }
    /// <summary>The model's output names, in order.</summary>
    public IReadOnlyList<string> OutputNames { get; }
    /// <summary>The ONNX Runtime library's version.</summary>
    public static string RuntimeVersion => OrtApi.Version;
    /// <summary>
    /// The execution providers the loaded ONNX Runtime was built with, e.g. "CPUExecutionProvider"
    /// (and "CUDAExecutionProvider" in a CUDA build). Being listed does not promise a provider loads:
    /// the CUDA one still needs the CUDA and cuDNN libraries at session creation.
    /// </summary>
    public static IReadOnlyList<string> AvailableProviders => s_providers.Value;

    /// <summary>The declared shape of input <paramref name="index"/> (-1 for a dynamic dimension such as the batch).</summary>
    public long[] InputShape(int index) => OrtApi.Shape(Handle, (nuint)index, input: true);

    /// <summary>The declared shape of output <paramref name="index"/>.</summary>
    public long[] OutputShape(int index) => OrtApi.Shape(Handle, (nuint)index, input: false);

    /// <summary>
    /// Loads a model. <paramref name="intraOpThreads"/> sets the threads one inference uses (0: the
    /// runtime's default; set it so inference and preprocessing share the cores).
    /// <paramref name="device"/> = <see cref="Device.Gpu"/> adds ONNX Runtime's CUDA execution provider
    /// (device 0) when the library lists it and it loads; otherwise the model runs on the CPU, and
    /// <see cref="Notice"/> says why and which providers there are. <see cref="Device"/> is where it runs.
    /// <paramref name="cpuMemoryArena"/> = false turns off ONNX Runtime's CPU memory arena, so that
    /// intermediate tensors are freed after each run rather than kept in an arena that only grows
    /// (for pipelines with a memory budget; allocation costs a little more per run).
    /// <paramref name="memoryPattern"/> = false turns off ONNX Runtime's memory pattern: with it on, every
    /// distinct input shape (a partial last batch, say) gets its own planned block of intermediate memory in
    /// the arena, and the arena keeps them all. <paramref name="sessionConfig"/> adds ONNX Runtime's string
    /// session options (AddSessionConfigEntry), e.g. <c>session.intra_op.allow_spinning = 0</c>; an unknown
    /// key or a bad value fails the load with ONNX Runtime's message.
    /// </summary>
    public static OnnxSession Load(string path, Device device = Device.Cpu, int intraOpThreads = 0, bool cpuMemoryArena = true,
                                   bool memoryPattern = true, IReadOnlyDictionary<string, string>? sessionConfig = null)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"ONNX model '{path}' does not exist (full path: {System.IO.Path.GetFullPath(path)}).", path);
        // The environment (and with it ONNX Runtime's default logger) must exist before any provider call.
        _ = s_env.Value;
        string? notice = null;
        if (device == Device.Gpu)
        {
            var providers = AvailableProviders;
            string? why = null;
            if (!providers.Contains(CudaProvider))
                why = $"this ONNX Runtime ({OrtApi.Version}) has no {CudaProvider}";
            else
            {
                try { return new OnnxSession(path, CreateSession(path, intraOpThreads, cpuMemoryArena, memoryPattern, sessionConfig, cuda: true), device, Device.Gpu, cpuMemoryArena, null); }
                catch (OnnxRuntimeException e) { why = $"the {CudaProvider} could not be used ({e.Message})"; }
            }
            notice = $"Device.Gpu was asked for '{System.IO.Path.GetFileName(path)}', but {why}; running on the CPU. " +
                     $"Available execution providers: {string.Join(", ", providers)}.";
        }
        return new OnnxSession(path, CreateSession(path, intraOpThreads, cpuMemoryArena, memoryPattern, sessionConfig, cuda: false), device, Device.Cpu, cpuMemoryArena, notice);
    }

    private static IntPtr CreateSession(string path, int intraOpThreads, bool cpuMemoryArena, bool memoryPattern,
                                        IReadOnlyDictionary<string, string>? sessionConfig, bool cuda)
    {
        var options = OrtApi.CreateSessionOptions();
        try
        {
            OrtApi.SetGraphOptimizationLevel(options, 99 /* all */);
            if (intraOpThreads > 0) OrtApi.SetIntraOpNumThreads(options, intraOpThreads);
            OrtApi.SetInterOpNumThreads(options, 1);
            if (!cpuMemoryArena) OrtApi.DisableCpuMemArena(options);
            if (!memoryPattern) OrtApi.DisableMemPattern(options);
            foreach (var (key, value) in sessionConfig ?? new Dictionary<string, string>())
            {
                try { OrtApi.AddSessionConfigEntry(options, key, value); }
                catch (OnnxRuntimeException e) { throw new OnnxRuntimeException($"Cannot set session option '{key}' = '{value}' for '{path}': {e.Message}"); }
            }
            if (cuda) AppendCuda(options);
            try { return OrtApi.CreateSession(s_env.Value, path, options); }
            catch (OnnxRuntimeException e) { throw new OnnxRuntimeException($"Cannot load ONNX model '{path}': {e.Message}"); }
        }
        finally
        {
            OrtApi.ReleaseSessionOptions(options);
        }
    }

    // The V2 options path: the library owns the options struct, so its layout never matters here.
    private static void AppendCuda(IntPtr options)
    {
        var cudaOptions = OrtApi.CreateCudaProviderOptions();
        try
        {
            OrtApi.UpdateCudaProviderOptions(cudaOptions, [("device_id", "0")]);
            OrtApi.AppendCudaExecutionProvider(options, cudaOptions);
        }
        finally
        {
            OrtApi.ReleaseCudaProviderOptions(cudaOptions);
        }
    }

    private IntPtr Handle => _session != IntPtr.Zero ? _session : throw new ObjectDisposedException(nameof(OnnxSession));

    /// <summary>
    /// Runs a model with one float input and one float output, reading <paramref name="input"/> (of
    /// <paramref name="inputShape"/>) and writing <paramref name="output"/> (of <paramref name="outputShape"/>)
    /// in place: both tensors are views of the caller's memory.
    /// <paramref name="shrinkArena"/> = true gives the CPU arena's free regions back after this run
    /// (ONNX Runtime's <c>memory.enable_memory_arena_shrinkage</c>). A run with an unusual shape, such as a
    /// partial batch, makes the arena grow regions the usual shape does not fit in, and the arena keeps them;
    /// shrinking after such a run lets them go, and the next usual run maps its memory again once.
    /// </summary>
    public void Run(ReadOnlySpan<float> input, ReadOnlySpan<long> inputShape, Span<float> output, ReadOnlySpan<long> outputShape,
                    bool shrinkArena = false) =>
        RunWith(shrinkArena && CpuMemoryArena ? ShrinkOptions : IntPtr.Zero, input, inputShape, output, outputShape);

    /// <summary><see cref="Run"/> with ONNX Runtime run options of the caller's (<see cref="IntPtr.Zero"/>: none).</summary>
    internal void RunWith(IntPtr runOptions, ReadOnlySpan<float> input, ReadOnlySpan<long> inputShape, Span<float> output, ReadOnlySpan<long> outputShape)
    {
        if (_inputNames.Length != 1 || _outputNames.Length != 1)
            throw new InvalidOperationException($"'{Path}' has {_inputNames.Length} inputs and {_outputNames.Length} outputs; this call needs one of each.");
        Check(input.Length, inputShape, "input");
        Check(output.Length, outputShape, "output");
        var session = Handle;
        fixed (float* inData = input)
        fixed (float* outData = output)
        fixed (long* inShape = inputShape)
        fixed (long* outShape = outputShape)
        fixed (IntPtr* inName = _inputNames)
        fixed (IntPtr* outName = _outputNames)
        {
            var inValue = OrtApi.CreateFloatTensor(s_cpuMemory.Value, inData, (nuint)input.Length, inShape, (nuint)inputShape.Length);
            var outValue = IntPtr.Zero;
            try
            {
                outValue = OrtApi.CreateFloatTensor(s_cpuMemory.Value, outData, (nuint)output.Length, outShape, (nuint)outputShape.Length);
                OrtApi.Run(session, runOptions, inName, &inValue, 1, outName, 1, &outValue);
            }
            finally
            {
                OrtApi.ReleaseValue(inValue);
                if (outValue != IntPtr.Zero) OrtApi.ReleaseValue(outValue);
            }
        }
    }

    private static void Check(int length, ReadOnlySpan<long> shape, string what)
    {
        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"The {what} shape has a negative dimension ({d}).");
            count *= d;
        }
        if (count != length)
            throw new ArgumentException($"The {what} shape [{string.Join(", ", shape.ToArray())}] holds {count} values but the {what} span has {length}.");
    }

    private IntPtr _shrinkOptions;

    /// <summary>Run options that shrink the CPU arena after the run (made once, shared by concurrent runs).</summary>
    private IntPtr ShrinkOptions
    {
        get
        {
            if (Volatile.Read(ref _shrinkOptions) is var existing && existing != IntPtr.Zero) return existing;
            var options = OrtApi.CreateRunOptions();
            try { OrtApi.AddRunConfigEntry(options, "memory.enable_memory_arena_shrinkage", "cpu:0"); }
            catch
            {
                OrtApi.ReleaseRunOptions(options);
                throw;
            }
            var raced = Interlocked.CompareExchange(ref _shrinkOptions, options, IntPtr.Zero);
            if (raced == IntPtr.Zero) return options;
            OrtApi.ReleaseRunOptions(options);
            return raced;
        }
    }

    /// <summary>Releases the session.</summary>
    public void Dispose()
    {
        var shrink = Interlocked.Exchange(ref _shrinkOptions, IntPtr.Zero);
        if (shrink != IntPtr.Zero) OrtApi.ReleaseRunOptions(shrink);
        var s = Interlocked.Exchange(ref _session, IntPtr.Zero);
        if (s == IntPtr.Zero) return;
        OrtApi.ReleaseSession(s);
        foreach (var p in _inputNames.Concat(_outputNames)) Marshal.FreeCoTaskMem(p);
    }
}
