import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BodyTooLargeError,
  NetworkError,
  NodeHttpClient,
  RequestAbortedError,
} from '../../../agent/src/http/client.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

const servers: Server[] = [];
const clients: NodeHttpClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(handler: Handler) {
  const ports: number[] = [];
  const server = createServer(async (req, res) => {
    ports.push(req.socket.remotePort ?? 0);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    handler(req, res, Buffer.concat(chunks));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/path?q=1`, ports };
}

function client() {
  const made = new NodeHttpClient({ maxSockets: 2 });
  clients.push(made);
  return made;
}

const base = { method: 'GET', timeoutMs: 1_000, maxBodyBytes: 1_024 } as const;

describe('Class: NodeHttpClient', () => {
  it('posts the body with its headers and returns status, headers and body', async () => {
    let seen: { method?: string; url?: string; headers?: object; body?: string } = {};
    const { url } = await serve((req, res, body) => {
      seen = { method: req.method, url: req.url, headers: req.headers, body: body.toString() };
      res.writeHead(429, 'Too Many', { 'retry-after': '7' });
      res.end('{"error":"TooManyRequests"}');
    });

    const response = await client().request({
      ...base,
      method: 'POST',
      url,
      headers: { 'x-api-key': 'k' },
      body: Buffer.from('hello'),
    });

    expect(seen).toMatchObject({
      method: 'POST',
      url: '/path?q=1',
      headers: { 'x-api-key': 'k', 'content-length': '5' },
      body: 'hello',
    });
    expect(response.status).toBe(429);
    expect(response.statusText).toBe('Too Many');
    expect(response.headers['retry-after']).toBe('7');
    expect(response.body.toString()).toBe('{"error":"TooManyRequests"}');
  });

  it('reuses the connection between requests (keep-alive)', async () => {
    const { url, ports } = await serve((_, res) => res.end('ok'));
    const http = client();

    await http.request({ ...base, url });
    await http.request({ ...base, url });

    expect(ports).toHaveLength(2);
    expect(ports[1]).toBe(ports[0]);
  });

  it('does not follow redirects', async () => {
    const { url } = await serve((_, res) => {
      res.writeHead(301, { location: 'http://127.0.0.1:1/elsewhere' });
      res.end();
    });

    const response = await client().request({ ...base, url });

    expect(response.status).toBe(301);
    expect(response.headers.location).toBe('http://127.0.0.1:1/elsewhere');
  });

  it('decodes gzip only when asked', async () => {
    const { url } = await serve((_, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.end(gzipSync('plain text'));
    });

    const decoded = await client().request({ ...base, url, decompress: true });
    const raw = await client().request({ ...base, url });

    expect(decoded.body.toString()).toBe('plain text');
    expect(raw.body).toEqual(gzipSync('plain text'));
  });

  it('stops a body over the cap, counting decompressed bytes, while it streams', async () => {
    let finished = false;
    const { url } = await serve((_, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      // ~1 KiB on the wire, 64 MiB once decompressed, sent slowly.
      const bomb = gzipSync(Buffer.alloc(64 * 1_048_576));
      res.write(bomb.subarray(0, bomb.length >> 1));
      setTimeout(() => {
        if (!res.destroyed) res.end(bomb.subarray(bomb.length >> 1));
        finished = !res.destroyed;
      }, 200);
    });

    const request = client().request({ ...base, url, decompress: true, maxBodyBytes: 4_096 });

    await expect(request).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(finished).toBe(false);
  });

  it('keeps the first bytes of a body over the cap with overflow: truncate', async () => {
    const { url } = await serve((_, res) => res.end('x'.repeat(5_000)));

    const response = await client().request({ ...base, url, overflow: 'truncate' });

    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe('x'.repeat(1_024));
  });

  it('fails with a retryable ETIMEDOUT past the deadline', async () => {
    const { url } = await serve(() => {});

    const request = client().request({ ...base, url, timeoutMs: 30 });

    await expect(request).rejects.toMatchObject({
      name: 'NetworkError',
      code: 'ETIMEDOUT',
      retryable: true,
    });
  });

  it('fails with ECONNREFUSED when nothing listens', async () => {
    const { url } = await serve(() => {});
    const server = servers.pop() as Server;
    await new Promise((resolve) => server.close(resolve));

    const request = client().request({ ...base, url });

    await expect(request).rejects.toBeInstanceOf(NetworkError);
    await expect(request).rejects.toMatchObject({ code: 'ECONNREFUSED', retryable: true });
  });

  it('fails with ECONNRESET when the server cuts the connection', async () => {
    const { url } = await serve((req) => req.socket.destroy());

    await expect(client().request({ ...base, url })).rejects.toMatchObject({
      code: 'ECONNRESET',
      retryable: true,
    });
  });

  it('fails with ECONNRESET when the body is cut short', async () => {
    const { url } = await serve((req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
      setTimeout(() => req.socket.destroy(), 10);
    });

    await expect(client().request({ ...base, url })).rejects.toMatchObject({
      code: 'ECONNRESET',
    });
  });

  it('gives up when the signal aborts', async () => {
    const { url } = await serve(() => {});
    const abort = new AbortController();

    const request = client().request({ ...base, url, signal: abort.signal });
    setTimeout(() => abort.abort(), 20);

    await expect(request).rejects.toBeInstanceOf(RequestAbortedError);
  });
});
