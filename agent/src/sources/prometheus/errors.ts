/** Errors of the Prometheus scrape source; each one fails the whole scrape (`up 0`). */

/** A line of the exposition that Prometheus would reject. */
export class PrometheusParseError extends Error {
  /** 1-based line number in the scraped body. */
  readonly line: number;
  /** What is wrong, without the line number (`invalid value "abc"`). */
  readonly reason: string;
  /** The offending line, cut to 200 characters for logs. */
  readonly text: string;

  constructor(line: number, reason: string, text: string) {
    super(`line ${line}: ${reason}`);
    this.name = 'PrometheusParseError';
    this.line = line;
    this.reason = reason;
    this.text = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  }
}

/** More samples than the configured limit (Prometheus's `sample_limit`). */
export class SampleLimitError extends Error {
  readonly limit: number;

  constructor(limit: number) {
    super(`sample limit of ${limit} exceeded`);
    this.name = 'SampleLimitError';
    this.limit = limit;
  }
}

/** A response that is not a 2xx, or a body over the size limit. */
export class ScrapeResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScrapeResponseError';
  }
}
