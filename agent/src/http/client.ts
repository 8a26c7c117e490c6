/**
 * A small HTTP client on `node:http`/`node:https` for the sender and the scrape source, instead
 * of the global `fetch`: loading undici costs ~12 MB of RSS at idle and a few percent of CPU
 * under load, and the agent needs none of what it adds.
 *
 * - keep-alive agents with few sockets (one pool per client), LIFO so the warm socket is reused;
 * - one deadline per request (`timeoutMs`, connect to last body byte) and an optional
 *   `AbortSignal`;
 * - the response body collected up to `maxBodyBytes` (counted after decoding when `decompress`
 *   is set, so a gzip bomb is stopped while it streams): past the cap the request fails with
 *   {@link BodyTooLargeError}, or, with `overflow: 'truncate'`, the rest is read and dropped
 *   (the connection stays reusable);
 * - `gzip`/`deflate` response decoding on request;
 * - redirects are not followed: a 3xx is returned like any other status;
 * - network failures become a {@link NetworkError} with the system code (`ECONNREFUSED`,
 *   `ECONNRESET`, `ETIMEDOUT` for the deadline, ...), all retryable.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { createGunzip, createInflate } from 'node:zlib';

export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  /** Deadline of the whole exchange, in ms. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Largest body kept, in bytes (decoded bytes when `decompress`). */
  readonly maxBodyBytes: number;
  /** Past `maxBodyBytes`: fail (`error`, the default) or keep the first bytes (`truncate`). */
  readonly overflow?: 'error' | 'truncate';
  /** Decode a `gzip` or `deflate` `content-encoding`. @default false */
  readonly decompress?: boolean;
}

export interface HttpResponse {
  readonly status: number;
  readonly statusText: string;
  /** Lower-case names, as Node gives them. */
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** What the sender and the scrape source need of an HTTP client; tests pass doubles. */
export interface HttpClient {
  request(request: HttpRequest): Promise<HttpResponse>;
}

/** The request never got a complete answer: refused, reset, timed out, DNS... Retryable. */
export class NetworkError extends Error {
  /** `ECONNREFUSED`, `ECONNRESET`, `ETIMEDOUT`, `ENOTFOUND`, ... */
  readonly code: string;
  readonly retryable = true;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message.includes(code) ? message : `${message} (${code})`, options);
    this.name = 'NetworkError';
    this.code = code;
  }
}

/** The body was larger than `maxBodyBytes`. */
export class BodyTooLargeError extends Error {
  readonly limit: number;

  constructor(limit: number) {
    super(`body larger than ${limit} bytes`);
    this.name = 'BodyTooLargeError';
    this.limit = limit;
  }
}

/** `stop()` or the caller's signal gave up on the request. */
export class RequestAbortedError extends Error {
  constructor() {
    super('request aborted');
    this.name = 'AbortError';
  }
}

export interface NodeHttpClientOptions {
  /** Sockets per host. @default 4 */
  readonly maxSockets?: number;
  /**
   * An idle keep-alive socket is closed after this long, in ms: under Node's server default (5 s)
   * so the agent closes first rather than reusing a socket the server is closing. @default 4_000
   */
  readonly idleSocketTimeoutMs?: number;
}

/** `node:https` (and with it TLS and crypto, ~1.5 MB of RSS) is loaded for the first https URL. */
type Https = typeof import('node:https');
let httpsModule: Promise<Https> | undefined;

export class NodeHttpClient implements HttpClient {
  private readonly agentOptions: ConstructorParameters<typeof HttpAgent>[0];
  private readonly http: HttpAgent;
  private https?: Promise<{ module: Https; agent: HttpsAgent }>;

  constructor(options: NodeHttpClientOptions = {}) {
    this.agentOptions = {
      keepAlive: true,
      maxSockets: options.maxSockets ?? 4,
      maxFreeSockets: options.maxSockets ?? 4,
      scheduling: 'lifo' as const,
      timeout: options.idleSocketTimeoutMs ?? 4_000,
    };
    this.http = new HttpAgent(this.agentOptions);
  }

  async request(request: HttpRequest): Promise<HttpResponse> {
    const url = new URL(request.url);
    if (url.protocol === 'https:') {
      httpsModule ??= import('node:https');
      this.https ??= httpsModule.then((module) => ({
        module,
        agent: new module.Agent(this.agentOptions),
      }));
      const https = await this.https;
      return this.send(request, url, https.module.request, https.agent);
    }
    if (url.protocol !== 'http:') throw new TypeError(`unsupported protocol ${url.protocol}`);
    return this.send(request, url, httpRequest, this.http);
  }

  private send(
    request: HttpRequest,
    url: URL,
    send: typeof httpRequest,
    agent: HttpAgent,
  ): Promise<HttpResponse> {
    return new Promise<HttpResponse>((resolve, reject) => {
      if (request.signal?.aborted) {
        reject(new RequestAbortedError());
        return;
      }
      const headers: Record<string, string> = { ...request.headers };
      if (request.body) headers['content-length'] = String(request.body.length);
      let settled = false;
      let failure: Error | undefined;
      const finish = (error: Error | undefined, response?: HttpResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request.signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(response as HttpResponse);
      };
      /** Fails the request and closes its socket (a half-read answer cannot be reused). */
      const fail = (error: Error) => {
        failure ??= error;
        finish(error);
        req.destroy();
      };
      const onAbort = () => fail(new RequestAbortedError());
      const timer = setTimeout(
        () =>
          fail(new NetworkError('ETIMEDOUT', `no complete answer within ${request.timeoutMs} ms`)),
        request.timeoutMs,
      );
      request.signal?.addEventListener('abort', onAbort, { once: true });

      const req = send(url, { method: request.method, headers, agent });
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (failure) return finish(failure);
        fail(new NetworkError(error.code ?? 'ECONNRESET', error.message, { cause: error }));
      });
      req.on('response', (response) => {
        readBody(response, request).then(
          (body) =>
            finish(undefined, {
              status: response.statusCode ?? 0,
              statusText: response.statusMessage ?? '',
              headers: response.headers,
              body,
            }),
          (error: Error) => fail(error),
        );
      });
      req.end(request.body);
    });
  }

  /** Closes the idle sockets (the ones in use close when their request ends). */
  close(): void {
    this.http.destroy();
    void this.https?.then(({ agent }) => agent.destroy());
  }
}

/** The response body, decoded if asked, up to the cap. */
function readBody(response: IncomingMessage, request: HttpRequest): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const encoding = request.decompress
      ? String(response.headers['content-encoding'] ?? '')
          .trim()
          .toLowerCase()
      : '';
    const decoder =
      encoding === 'gzip' || encoding === 'x-gzip'
        ? createGunzip()
        : encoding === 'deflate'
          ? createInflate()
          : undefined;
    const limit = request.maxBodyBytes;
    const chunks: Buffer[] = [];
    let kept = 0;
    let done = false;
    const fail = (error: Error) => {
      if (done) return;
      done = true;
      decoder?.destroy();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      if (done || kept >= limit) {
        if (request.overflow !== 'truncate') fail(new BodyTooLargeError(limit));
        return;
      }
      if (kept + chunk.length > limit) {
        if (request.overflow !== 'truncate') return fail(new BodyTooLargeError(limit));
        chunk = chunk.subarray(0, limit - kept);
      }
      chunks.push(chunk);
      kept += chunk.length;
    };
    const onEnd = () => {
      if (done) return;
      done = true;
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, kept));
    };
    // 'aborted' (Node 20) or an 'error' on the message: the server cut the body short.
    const onCut = () =>
      fail(new NetworkError('ECONNRESET', 'the connection closed before the end of the answer'));
    response.on('aborted', onCut);
    response.on('error', onCut);
    if (decoder) {
      decoder.on('data', onData);
      decoder.on('end', onEnd);
      decoder.on('error', (error) =>
        fail(new Error(`cannot decode the ${encoding} body: ${error.message}`)),
      );
      response.pipe(decoder);
    } else {
      response.on('data', onData);
      response.on('end', onEnd);
    }
  });
}

let shared: NodeHttpClient | undefined;

/** One client for the scrape targets: its pool holds a socket per target between scrapes. */
export function sharedHttpClient(): NodeHttpClient {
  shared ??= new NodeHttpClient({ maxSockets: 2 });
  return shared;
}
