/**
 * The collector's HTTP server: dispatches each request through the {@link Router}, turns a thrown
 * {@link HttpError} into its JSON error response and anything else into a logged 500, and never
 * lets API answers be cached.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger.js';
import { HttpError, sendJson } from './Router.js';
import type { Router } from './Router.js';
import type { SelfMetrics } from './SelfMetrics.js';

/** A listening server and the address it got (`port` 0 picks a free one). */
export interface ListeningServer {
  server: Server;
  /** Base URL, e.g. `http://127.0.0.1:4318` (IPv6 hosts in brackets). */
  url: string;
  host: string;
  port: number;
}

/** Starts the server on `host:port`; rejects when it cannot listen (e.g. `EADDRINUSE`). */
export async function startHttpServer(
  router: Router,
  listen: { host: string; port: number },
  metrics: SelfMetrics,
  log: Logger,
): Promise<ListeningServer> {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://collector');
    } catch {
      sendJson(res, 400, { error: 'bad request URL' });
      return;
    }
    // API answers are per key and per moment: never cached.
    if (url.pathname.startsWith('/api/')) res.setHeader('cache-control', 'no-store');
    const match = router.match(req.method ?? 'GET', url.pathname, url.searchParams);
    try {
      if (match.kind === 'not-found') throw new HttpError(404, `no route for ${req.method} ${url.pathname}`);
      if (match.kind === 'method-not-allowed') {
        throw new HttpError(405, `${req.method} not allowed on ${url.pathname}`, {
          allow: match.allow.join(', '),
        });
      }
      await match.handler(req, res, match.params, url);
    } catch (e) {
      req.resume();
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (e instanceof HttpError) {
        metrics.countResponse(e.status);
        sendJson(res, e.status, { error: e.message }, e.headers);
      } else {
        metrics.countResponse(500);
        log.error(`${req.method} ${url.pathname} failed`, e);
        sendJson(res, 500, { error: e instanceof Error ? e.message : String(e) });
      }
    }
  };
  const server = createServer(
    { keepAliveTimeout: 30_000, headersTimeout: 20_000, requestTimeout: 60_000 },
    (req, res) => {
      void handle(req, res);
    },
  );
  // A request Node's parser refuses before any handler sees it still gets an answer that names
  // the problem.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const [status, reason, error] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'the request line and headers exceed 16 KiB']
        : [400, 'Bad Request', `malformed HTTP request (${err.code ?? 'unknown'})`];
    const body = JSON.stringify({ error });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { server, url: `http://${host}:${address.port}`, host: address.address, port: address.port };
}
