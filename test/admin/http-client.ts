/** A raw HTTP client for the admin tests: real sockets, every header under the test's control. */
import { request } from 'node:http';

export interface RawReply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  json(): any;
}

export interface RawRequest {
  readonly host?: string;
  readonly port: number;
  readonly method?: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  /** A string is sent with Content-Length; an array is sent chunked, piece by piece. */
  readonly body?: string | readonly string[];
  readonly token?: string;
}

export function http(req: RawRequest): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...req.headers };
    if (req.token !== undefined) headers.Authorization = `Bearer ${req.token}`;
    if (typeof req.body === 'string') headers['Content-Length'] = String(Buffer.byteLength(req.body));
    const r = request(
      { host: req.host ?? '127.0.0.1', port: req.port, method: req.method ?? 'GET', path: req.path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
      },
    );
    r.on('error', reject);
    if (typeof req.body === 'string') r.end(req.body);
    else if (Array.isArray(req.body)) {
      for (const piece of req.body) r.write(piece);
      r.end();
    } else r.end();
  });
}

export function post(port: number, path: string, body: unknown, token?: string, host?: string): Promise<RawReply> {
  return http({
    host,
    port,
    method: 'POST',
    path,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' },
    ...(token !== undefined ? { token } : {}),
  });
}
