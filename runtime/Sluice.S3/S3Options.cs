using Amazon.Runtime;
using Amazon.S3;

namespace Sluice.S3;

/// <summary>
/// How Sluice reaches S3. Every setting left null is found the usual AWS way: credentials from the SDK's chain
/// (<c>AWS_ACCESS_KEY_ID</c>/<c>AWS_SECRET_ACCESS_KEY</c>, <c>~/.aws/credentials</c> and its profiles, instance roles), the
/// region from <c>AWS_REGION</c> or the profile, and the endpoint from <c>AWS_ENDPOINT_URL_S3</c> or <c>AWS_ENDPOINT_URL</c>.
/// An endpoint of one's own (MinIO, s3rver, Ceph, R2) defaults to what S3-compatible servers need: path-style URLs,
/// checksums only where an operation requires them, no chunked (aws-chunked) uploads.
/// </summary>
public sealed record S3Options
{
    /// <summary>The endpoint (<c>http://127.0.0.1:9000</c>); null: AWS, or <c>AWS_ENDPOINT_URL_S3</c>/<c>AWS_ENDPOINT_URL</c>.</summary>
    public string? ServiceUrl { get; init; }

    /// <summary>The region (null: <c>AWS_REGION</c>, <c>AWS_DEFAULT_REGION</c>, the profile; us-east-1 for an endpoint of one's own).</summary>
    public string? Region { get; init; }

    /// <summary>Credentials (null: the SDK's default chain).</summary>
    public AWSCredentials? Credentials { get; init; }

    /// <summary>Path-style URLs (<c>http://host/bucket/key</c>); null: on for an endpoint of one's own, or <c>SLUICE_S3_PATH_STYLE</c>.</summary>
    public bool? ForcePathStyle { get; init; }

    /// <summary>
    /// Checksums on every request and response (the SDK's default, "when supported") or only where required; null: only
    /// where required for an endpoint of one's own, else the SDK's setting (<c>AWS_REQUEST_CHECKSUM_CALCULATION</c>,
    /// <c>AWS_RESPONSE_CHECKSUM_VALIDATION</c>). Servers that do not know the trailing checksums of newer SDKs store the
    /// chunk signatures inside the object.
    /// </summary>
    public bool? ChecksumsWhenRequiredOnly { get; init; }

    /// <summary>aws-chunked uploads with per-chunk signatures; null: off for an endpoint of one's own, else the SDK's default.</summary>
    public bool? UseChunkEncoding { get; init; }

    /// <summary>Retries of a request that failed in a way worth retrying (5xx, throttling, a dropped connection); default 5.</summary>
    public int MaxRetries { get; init; } = 5;

    /// <summary>The timeout of one request (default 60 s).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Bytes of a part of a multipart upload (default 8 MiB; S3's least is 5 MiB). Parts grow after 2,000 of them.</summary>
    public int PartBytes { get; init; } = 8 << 20;

    /// <summary>Parts uploading at once per object being written (default 2), on top of the one filling.</summary>
    public int PartsInFlight { get; init; } = 2;

    /// <summary>The first ranged read of an object (default 256 KiB); reads that go on in order double it, up to <see cref="MaxReadBytes"/>.</summary>
    public int ReadBytes { get; init; } = 256 << 10;

    /// <summary>The largest ranged read (default 8 MiB).</summary>
    public int MaxReadBytes { get; init; } = 8 << 20;

    internal string? EffectiveServiceUrl =>
        ServiceUrl ?? NonEmpty(Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3")) ?? NonEmpty(Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL"));

    internal bool OwnEndpoint => EffectiveServiceUrl is not null;

    internal bool EffectiveChunkEncoding => UseChunkEncoding ?? !OwnEndpoint;

    internal AmazonS3Config ToConfig()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(PartBytes, 5 << 20, nameof(PartBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(PartsInFlight, 1, nameof(PartsInFlight));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReadBytes, 1, nameof(ReadBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxReadBytes, ReadBytes, nameof(MaxReadBytes));
        var config = new AmazonS3Config
        {
            MaxErrorRetry = MaxRetries,
            RetryMode = RequestRetryMode.Standard,
            Timeout = RequestTimeout,
        };
        string? url = EffectiveServiceUrl;
        string? region = Region ?? NonEmpty(Environment.GetEnvironmentVariable("AWS_REGION")) ?? NonEmpty(Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION"));
        if (url is not null)
        {
            config.ServiceURL = url;
            config.AuthenticationRegion = region ?? "us-east-1";
        }
        else if (region is not null)
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(region);
        }
        bool? pathStyle = ForcePathStyle ?? ParseBool(Environment.GetEnvironmentVariable("SLUICE_S3_PATH_STYLE"));
        config.ForcePathStyle = pathStyle ?? url is not null;
        if (ChecksumsWhenRequiredOnly ?? (url is not null))
        {
            config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
            config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        }
        return config;
    }

    private static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    private static bool? ParseBool(string? s) => s?.Trim().ToLowerInvariant() switch
    {
        "1" or "true" or "yes" or "on" => true,
        "0" or "false" or "no" or "off" => false,
        _ => null,
    };
}
