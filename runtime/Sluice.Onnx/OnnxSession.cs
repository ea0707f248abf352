using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Sluice.Onnx;

/// <summary>How <see cref="OnnxSession.Load"/> sets up ONNX Runtime for one model.</summary>
public sealed record OnnxSessionOptions
{
    /// <summary>
    /// Where the model should run. <see cref="Sluice.Device.Gpu"/> adds ONNX Runtime's CUDA execution provider
    /// when the loaded ONNX Runtime has it and it loads (the GPU build: docs/onnx.md); otherwise the model
    /// runs on the CPU and <see cref="OnnxSession.Notice"/> says why, in one line.
    /// </summary>
    public Device Device { get; init; } = Device.Cpu;

    /// <summary>Threads one inference uses (0: ONNX Runtime's default, one per core). Set it so inference and preprocessing share the cores.</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>
    /// Whether ONNX Runtime's threads spin while they wait for work (its default). Spinning burns the
    /// moments other stages (decoders) could use; ONNX Runtime alone runs as fast either way on this
    /// project's benchmark (benchmarks/RESULTS.md).
    /// </summary>
    public bool Spinning { get; init; } = true;

    /// <summary>
    /// Whether ONNX Runtime keeps a CPU memory arena (its default). Off, intermediate tensors are freed after
    /// each run rather than kept in an arena that only grows; allocation then costs a little more per run.
    /// </summary>
    public bool CpuMemoryArena { get; init; } = true;

    /// <summary>
    /// Whether ONNX Runtime plans memory per input shape (its default). On, every distinct input shape (a
    /// partial last batch, say) gets its own planned block of intermediate memory, and the arena keeps them all.
    /// </summary>
    public bool MemoryPattern { get; init; } = true;

    /// <summary>
    /// The usual batch size (0: none). A run of another batch size (a partial batch) makes the arena grow
    /// regions the usual shape does not fit in, and the arena keeps them; when this is set and the arena is on,
    /// <see cref="OnnxSession.RunBatch"/> gives them back after such a run (ONNX Runtime's
    /// <c>memory.enable_memory_arena_shrinkage</c>), and the next full batch maps its memory again once.
    /// </summary>
    public int BatchSize { get; init; }

    /// <summary>The CUDA device for <see cref="Sluice.Device.Gpu"/>.</summary>
    public int CudaDeviceId { get; init; }

    /// <summary>
    /// More of ONNX Runtime's string session options (AddSessionConfigEntry), e.g.
    /// <c>session.load_model_format = ORT</c>; an unknown key or a bad value fails the load with ONNX Runtime's message.
    /// </summary>
    public IReadOnlyDictionary<string, string>? SessionConfig { get; init; }
}

/// <summary>
/// An ONNX model loaded into ONNX Runtime through its official .NET API (Microsoft.ML.OnnxRuntime).
/// Input and output tensors are <see cref="OrtValue"/>s over the caller's memory, so a batch tensor in a
/// pooled buffer goes to the model and the results come back without copies. The run methods may be
/// called from several threads at once. Meant as a pipeline <c>[Resource]</c>.
/// </summary>
public sealed unsafe partial class OnnxSession : IDisposable
{
    /// <summary>The name ONNX Runtime gives its CUDA execution provider.</summary>
    public const string CudaProvider = "CUDAExecutionProvider";

    private static readonly Lazy<OrtEnv> s_env = new(CreateEnvironment);
    private static readonly Lazy<IReadOnlyList<string>> s_providers = new(() => Array.AsReadOnly(s_env.Value.GetAvailableProviders()));
    private static readonly object s_cudaLock = new();

    private InferenceSession? _session;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly RunOptions? _shrink;
    private float[]? _staging;
    private long _rowsCopied;
    private long _rowsRun;
    private static long s_rowsCopied, s_rowsRun;

    private OnnxSession(string path, InferenceSession session, OnnxSessionOptions options, Device device, string? notice)
    {
        Path = path;
        _session = session;
        Options = options;
        Device = device;
        Notice = notice;
        _inputNames = session.InputNames.ToArray();
        _outputNames = session.OutputNames.ToArray();
        if (options.CpuMemoryArena)
        {
            _shrink = new RunOptions();
            _shrink.AddRunConfigEntry("memory.enable_memory_arena_shrinkage", "cpu:0");
        }
    }

    /// <summary>The model file.</summary>
    public string Path { get; }
    /// <summary>The options the session was loaded with.</summary>
    public OnnxSessionOptions Options { get; }
    /// <summary>The device the caller asked for.</summary>
    public Device RequestedDevice => Options.Device;
    /// <summary>The device the model runs on: <see cref="Sluice.Device.Gpu"/> only when the CUDA execution provider was added.</summary>
    public Device Device { get; }
    /// <summary>Whether ONNX Runtime's CPU memory arena is on for this session.</summary>
    public bool CpuMemoryArena => Options.CpuMemoryArena;
    /// <summary>Why the model runs elsewhere than asked, in one line (null when it runs where asked).</summary>
    public string? Notice { get; }
    /// <summary>The model's input names, in order.</summary>
    public IReadOnlyList<string> InputNames => _inputNames;
    /// <summary>The model's output names, in order.</summary>
    public IReadOnlyList<string> OutputNames => _outputNames;
    /// <summary>
    /// Rows <see cref="RunBatch"/> had to copy into a batch input because they did not lie back to back in one
    /// batch buffer (0 when every batch came straight from a pipeline's batch slots).
    /// </summary>
    public long RowsCopied => Interlocked.Read(ref _rowsCopied);

    /// <summary>Rows <see cref="RunBatch"/> ran, copied or not.</summary>
    public long RowsRun => Interlocked.Read(ref _rowsRun);

    /// <summary><see cref="RowsCopied"/> and <see cref="RowsRun"/> over every session of the process (a pipeline's batch workers each have one).</summary>
    public static (long Copied, long Run) BatchRows => (Interlocked.Read(ref s_rowsCopied), Interlocked.Read(ref s_rowsRun));

    /// <summary>The ONNX Runtime library's version, e.g. "1.32.0".</summary>
    public static string RuntimeVersion => s_env.Value.GetVersionString();

    /// <summary>
    /// The execution providers the loaded ONNX Runtime was built with, e.g. "CPUExecutionProvider" (and
    /// "CUDAExecutionProvider" in the GPU build). Being listed does not promise a provider loads: the CUDA
    /// one still needs the CUDA and cuDNN libraries at session creation.
    /// </summary>
    public static IReadOnlyList<string> AvailableProviders => s_providers.Value;

    /// <summary>The declared shape of input <paramref name="index"/> (-1 for a dynamic dimension such as the batch).</summary>
    public long[] InputShape(int index) => Dimensions(_inputNames[index], Handle.InputMetadata[_inputNames[index]]);

    /// <summary>The declared shape of output <paramref name="index"/>.</summary>
    public long[] OutputShape(int index) => Dimensions(_outputNames[index], Handle.OutputMetadata[_outputNames[index]]);

    private long[] Dimensions(string name, NodeMetadata metadata) =>
        metadata.IsTensor ? Array.ConvertAll(metadata.Dimensions, d => (long)d)
                          : throw new OnnxModelException($"'{name}' of model '{Path}' is not a tensor ({metadata.OnnxValueType}).");

    // Errors only: a CPU machine asked for the GPU would otherwise get ONNX Runtime's own lines about the
    // provider libraries it could not load, on top of the one-line notice.
    private static OrtEnv CreateEnvironment()
    {
        if (OrtEnv.IsCreated) return OrtEnv.Instance();
        var options = new EnvironmentCreationOptions { logId = "sluice", logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        try { return OrtEnv.CreateInstanceWithOptions(ref options); }
        catch (OnnxRuntimeException) { return OrtEnv.Instance(); } // made meanwhile by someone else
    }

    /// <summary>Loads a model (see <see cref="OnnxSessionOptions"/>); <see cref="Device"/> says where it runs.</summary>
    /// <exception cref="FileNotFoundException">The model file does not exist.</exception>
    /// <exception cref="OnnxModelException">ONNX Runtime cannot load the model or refuses an option; the message names the file.</exception>
    public static OnnxSession Load(string path, OnnxSessionOptions? options = null)
    {
        options ??= new OnnxSessionOptions();
        if (!File.Exists(path))
            throw new FileNotFoundException($"ONNX model '{path}' does not exist (full path: {System.IO.Path.GetFullPath(path)}).", path);
        ArgumentOutOfRangeException.ThrowIfNegative(options.IntraOpThreads);
        ArgumentOutOfRangeException.ThrowIfNegative(options.BatchSize);
        _ = s_env.Value;
        string? notice = null;
        if (options.Device == Device.Gpu)
        {
            string why;
            if (!AvailableProviders.Contains(CudaProvider))
                why = $"this ONNX Runtime ({RuntimeVersion}, CPU build) has no {CudaProvider}";
            else
            {
                try { return new OnnxSession(path, CreateSession(path, options, cuda: true), options, Device.Gpu, null); }
                catch (CudaUnavailableException e) { why = $"the {CudaProvider} could not be used ({e.Message})"; }
            }
            notice = $"Device.Gpu was asked for '{System.IO.Path.GetFileName(path)}', but {why}; running on the CPU. " +
                     $"Available execution providers: {string.Join(", ", AvailableProviders)}.";
        }
        return new OnnxSession(path, CreateSession(path, options, cuda: false), options, Device.Cpu, notice);
    }

    private static InferenceSession CreateSession(string path, OnnxSessionOptions o, bool cuda)
    {
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            InterOpNumThreads = 1,
            EnableCpuMemArena = o.CpuMemoryArena,
            EnableMemoryPattern = o.MemoryPattern,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        if (o.IntraOpThreads > 0) options.IntraOpNumThreads = o.IntraOpThreads;
        var config = new List<KeyValuePair<string, string>>();
        if (!o.Spinning)
        {
            config.Add(new("session.intra_op.allow_spinning", "0"));
            config.Add(new("session.inter_op.allow_spinning", "0"));
        }
        if (o.SessionConfig is not null) config.AddRange(o.SessionConfig);
        foreach (var (key, value) in config)
        {
            try { options.AddSessionConfigEntry(key, value); }
            catch (OnnxRuntimeException e) { throw new OnnxModelException($"Cannot set session option '{key}' = '{value}' for '{path}': {OneLine(e.Message)}", e); }
        }
        if (cuda) AppendCuda(options, o.CudaDeviceId);
        try { return new InferenceSession(path, options); }
        catch (OnnxRuntimeException e) when (cuda) { throw new CudaUnavailableException(OneLine(e.Message)); }
        catch (OnnxRuntimeException e) { throw new OnnxModelException($"Cannot load ONNX model '{path}': {OneLine(e.Message)}", e); }
    }

    // Adding the provider loads its library (and with it CUDA and cuDNN). When that fails ONNX Runtime logs
    // its own error lines before it throws: quiet them for the attempt, the notice says it in one line.
    private static void AppendCuda(SessionOptions options, int deviceId)
    {
        lock (s_cudaLock)
        {
            var env = s_env.Value;
            var level = env.EnvLogLevel;
            env.EnvLogLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
            try
            {
                using var cuda = new OrtCUDAProviderOptions();
                cuda.UpdateOptions(new Dictionary<string, string> { ["device_id"] = deviceId.ToString(System.Globalization.CultureInfo.InvariantCulture) });
                options.AppendExecutionProvider_CUDA(cuda);
            }
            catch (OnnxRuntimeException e) { throw new CudaUnavailableException(OneLine(e.Message)); }
            finally { env.EnvLogLevel = level; }
        }
    }

    /// <summary>
    /// ONNX Runtime's messages carry the source file and function of the failure before the reason:
    /// keep the reason (after the last "FAIL : " or "] ", without "model.cc:181 onnxruntime::Model::Model(...) "
    /// source locations), on one line.
    /// </summary>
    internal static string OneLine(string message)
    {
        string text = message;
        int fail = text.LastIndexOf("FAIL : ", StringComparison.Ordinal);
        if (fail >= 0) text = text[(fail + 7)..];
        else if (text.StartsWith('[') && text.IndexOf("] ", StringComparison.Ordinal) is var close and > 0) text = text[(close + 2)..];
        text = SourceLocation().Replace(text, "");
        text = string.Join(' ', text.Split((char[])['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return text.Length <= 300 ? text : text[..297] + "...";
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"(?:/?[\w.-]+/)*[\w.-]+\.(?:cc|cpp|h):\d+ (?:[\w:~<>]+(?:\([^)]*\))? )?")]
    private static partial System.Text.RegularExpressions.Regex SourceLocation();

    private InferenceSession Handle => _session ?? throw new ObjectDisposedException(nameof(OnnxSession));

    /// <summary>
    /// Runs a model with one float input and one float output, reading <paramref name="input"/> (of
    /// <paramref name="inputShape"/>) and writing <paramref name="output"/> (of <paramref name="outputShape"/>)
    /// in place: both tensors are views of the caller's memory.
    /// <paramref name="shrinkArena"/> = true gives the CPU arena's free regions back after this run (see
    /// <see cref="OnnxSessionOptions.BatchSize"/>); without an arena there is nothing to shrink.
    /// </summary>
    public void Run(ReadOnlySpan<float> input, ReadOnlySpan<long> inputShape, Span<float> output, ReadOnlySpan<long> outputShape,
                    bool shrinkArena = false) =>
        RunWith(shrinkArena ? _shrink : null, input, inputShape, output, outputShape);

    /// <summary>
    /// Runs one batch of per-row tensors (<paramref name="rows"/>, each of <paramref name="rowShape"/>) through a
    /// model with one float input and one float output, writing <c>rows.Length</c> rows of
    /// <paramref name="outputRowShape"/> to <paramref name="output"/>. When the rows lie back to back in one
    /// batch buffer (a pipeline's batch slots: <see cref="Tensor.TryGetContiguous"/>) that buffer is the model's
    /// input and nothing is copied; otherwise the rows are copied into a staging buffer first
    /// (<see cref="RowsCopied"/> counts them). A batch smaller than <see cref="OnnxSessionOptions.BatchSize"/>
    /// shrinks the arena afterwards.
    /// </summary>
    public void RunBatch(ReadOnlySpan<Tensor> rows, ReadOnlySpan<long> rowShape, Span<float> output, ReadOnlySpan<long> outputRowShape)
    {
        int n = rows.Length;
        if (n == 0) return;
        int rowLength = checked((int)Count(rowShape, "row"));
        int outputRowLength = checked((int)Count(outputRowShape, "output row"));
        if (output.Length < (long)n * outputRowLength)
            throw new ArgumentException($"The output holds {output.Length} values but {n} rows of [{string.Join(", ", outputRowShape.ToArray())}] need {(long)n * outputRowLength}.", nameof(output));
        Span<long> inShape = stackalloc long[rowShape.Length + 1];
        Span<long> outShape = stackalloc long[outputRowShape.Length + 1];
        inShape[0] = outShape[0] = n;
        rowShape.CopyTo(inShape[1..]);
        outputRowShape.CopyTo(outShape[1..]);
        var shrink = Options.BatchSize > 0 && n != Options.BatchSize ? _shrink : null;
        var outputRows = output[..(n * outputRowLength)];
        Interlocked.Add(ref _rowsRun, n);
        Interlocked.Add(ref s_rowsRun, n);
        if (Tensor.TryGetContiguous(rows, out var batch) && batch.Length == (long)n * rowLength)
        {
            RunWith(shrink, batch, inShape, outputRows, outShape);
            return;
        }
        var staging = Interlocked.Exchange(ref _staging, null);
        if (staging is null || staging.Length < (long)n * rowLength)
            staging = GC.AllocateUninitializedArray<float>(checked(n * rowLength), pinned: true);
        try
        {
            for (int i = 0; i < n; i++)
            {
                var row = rows[i].Span;
                if (row.Length != rowLength)
                    throw new ArgumentException($"Row {i} holds {row.Length} values; the row shape [{string.Join(", ", rowShape.ToArray())}] needs {rowLength}.", nameof(rows));
                row.CopyTo(staging.AsSpan(i * rowLength, rowLength));
            }
            Interlocked.Add(ref _rowsCopied, n);
            Interlocked.Add(ref s_rowsCopied, n);
            RunWith(shrink, staging.AsSpan(0, n * rowLength), inShape, outputRows, outShape);
        }
        finally
        {
            Interlocked.CompareExchange(ref _staging, staging, null);
        }
    }

    /// <summary>
    /// Runs a model whose inputs are all int64 tensors of one shape (a transformer's token ids, attention mask and
    /// token type ids: <paramref name="inputs"/>, in the order of <see cref="InputNames"/>) and reads one float output
    /// (<paramref name="outputIndex"/> of <see cref="OutputNames"/>) into <paramref name="output"/>, of
    /// <paramref name="outputShape"/>. Every tensor is a view of the caller's memory: nothing is copied.
    /// <paramref name="shrinkArena"/> as in <see cref="Run"/>.
    /// </summary>
    public void RunInt64(ReadOnlySpan<ReadOnlyMemory<long>> inputs, ReadOnlySpan<long> inputShape, Span<float> output, ReadOnlySpan<long> outputShape,
                         int outputIndex = 0, bool shrinkArena = false)
    {
        var session = Handle;
        if (inputs.Length != _inputNames.Length)
            throw new ArgumentException($"'{System.IO.Path.GetFileName(Path)}' has {_inputNames.Length} inputs ({string.Join(", ", _inputNames)}); {inputs.Length} were given.", nameof(inputs));
        ArgumentOutOfRangeException.ThrowIfNegative(outputIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(outputIndex, _outputNames.Length);
        Check(output.Length, outputShape, "output");
        long[] shape = inputShape.ToArray();
        var pins = new System.Buffers.MemoryHandle[inputs.Length];
        var values = new OrtValue[inputs.Length];
        try
        {
            for (int i = 0; i < inputs.Length; i++)
            {
                Check(inputs[i].Length, inputShape, $"input '{_inputNames[i]}'");
                pins[i] = inputs[i].Pin();
                values[i] = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Int64, shape, (IntPtr)pins[i].Pointer, 8L * inputs[i].Length);
            }
            fixed (float* outData = output)
            {
                using var outValue = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float, outputShape.ToArray(),
                                                                        (IntPtr)outData, 4L * output.Length);
                try { session.Run(shrinkArena ? _shrink : null, _inputNames, values, [_outputNames[outputIndex]], [outValue]); }
                catch (OnnxRuntimeException e)
                {
                    throw new OnnxModelException($"Running '{System.IO.Path.GetFileName(Path)}' on [{string.Join(", ", shape)}] failed: {OneLine(e.Message)}", e);
                }
            }
        }
        finally
        {
            foreach (var v in values) v?.Dispose();
            foreach (var p in pins) p.Dispose();
        }
    }

    /// <summary><see cref="Run"/> with run options of the caller's (null: none).</summary>
    internal void RunWith(RunOptions? runOptions, ReadOnlySpan<float> input, ReadOnlySpan<long> inputShape, Span<float> output, ReadOnlySpan<long> outputShape)
    {
        var session = Handle;
        if (_inputNames.Length != 1 || _outputNames.Length != 1)
            throw new InvalidOperationException($"'{Path}' has {_inputNames.Length} inputs and {_outputNames.Length} outputs; this call needs one of each.");
        Check(input.Length, inputShape, "input");
        Check(output.Length, outputShape, "output");
        fixed (float* inData = input)
        fixed (float* outData = output)
        {
            using var inValue = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float, inputShape.ToArray(),
                                                                   (IntPtr)inData, 4L * input.Length);
            using var outValue = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float, outputShape.ToArray(),
                                                                    (IntPtr)outData, 4L * output.Length);
            try { session.Run(runOptions, _inputNames, [inValue], _outputNames, [outValue]); }
            catch (OnnxRuntimeException e)
            {
                throw new OnnxModelException($"Running '{System.IO.Path.GetFileName(Path)}' on [{string.Join(", ", inputShape.ToArray())}] failed: {OneLine(e.Message)}", e);
            }
        }
    }

    private static long Count(ReadOnlySpan<long> shape, string what)
    {
        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"The {what} shape has a negative dimension ({d}).");
            count *= d;
        }
        return count;
    }

    private static void Check(int length, ReadOnlySpan<long> shape, string what)
    {
        long count = Count(shape, what);
        if (count != length)
            throw new ArgumentException($"The {what} shape [{string.Join(", ", shape.ToArray())}] holds {count} values but the {what} span has {length}.");
    }

    /// <summary>Releases the session.</summary>
    public void Dispose()
    {
        var s = Interlocked.Exchange(ref _session, null);
        if (s is null) return;
        s.Dispose();
        _shrink?.Dispose();
    }

    private sealed class CudaUnavailableException(string message) : Exception(message);
}

/// <summary>An ONNX model that ONNX Runtime cannot load or run; the message names the model and carries ONNX Runtime's reason.</summary>
public sealed class OnnxModelException : Exception
{
    /// <summary>An error with a message.</summary>
    public OnnxModelException(string message) : base(message) { }

    /// <summary>An error with a message and ONNX Runtime's exception.</summary>
    public OnnxModelException(string message, Exception inner) : base(message, inner) { }
}
