// The pipeline's standard command line (docs/cli.md); the format of --input and --output comes from the path:
//   ArrowAot --input readings.arrow --output summaries.arrows    (an Arrow IPC file in, an IPC stream out)
//   ArrowAot --input 'in/*.arrows' --output summaries.jsonl --dead-letter failed.jsonl
return await ArrowAot.Readings.RunAsync(args);
