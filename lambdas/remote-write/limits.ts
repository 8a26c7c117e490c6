/**
 * Limits of `POST /v1/prom/write`, beside the metrics contract's (lambdas/shared/limits.ts), which
 * every point still meets once mapped.
 */
export const REMOTE_WRITE_LIMITS = {
  /**
   * Compressed body. API Gateway hands a binary body to Lambda base64-encoded, and a synchronous
   * invocation takes at most 6 MB: 4 MiB of snappy is ~5.6 MB of base64. Prometheus' default
   * batches (max_samples_per_send 2,000) are ~10-50 KiB compressed.
   */
  maxCompressedBytes: 4 * 1_048_576,
  /** Decompressed WriteRequest; the snappy header's length is checked before anything is allocated. */
  maxDecompressedBytes: 32 * 1_048_576,
  /** Series named in an error answer (the others are only counted). */
  maxInvalidSeriesReported: 3,
} as const;
