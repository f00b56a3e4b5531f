/**
 * Reads an OTLP request body, inflating it as it arrives when it is compressed, within the
 * per-request body limit (wire bytes and inflated bytes), and reports the bytes it holds as they
 * grow so that they can be reserved ({@link BodyReadOptions.onHeld}). Only the inflated bytes are
 * held for a compressed body: the compressed ones go straight through the inflater.
 */
import type { IncomingMessage } from 'node:http';
import { createGunzip, createInflate } from 'node:zlib';
import type { Gunzip, Inflate } from 'node:zlib';
import { HttpError } from '../server/Router.js';
import { Refusal } from './IngestAdmission.js';

export interface BodyReadOptions {
  /** Largest body, on the wire and after inflating (413 beyond). */
  maxBytes: number;
  /** `gzip` or `deflate` bodies are inflated as they arrive. */
  contentEncoding: 'identity' | 'gzip' | 'deflate';
  /**
   * A body that sends nothing for this long (ms) is refused with 503 + `Retry-After` (a
   * {@link Refusal} `stalled`: OTLP clients retry it; see decision 0080).
   */
  idleTimeoutMs: number;
  /** Called with the bytes held so far each time they grow; throwing (a {@link Refusal}) stops the read. */
  onHeld(bytes: number): void;
}

/**
 * Resolves with the whole (inflated) body. Rejects with an `HttpError` (413 too large, 400 not
 * readable or not valid compressed data) or a {@link Refusal} (stalled, or no room for the bytes).
 * After a rejection the rest of the body is drained unread; the caller closes the connection.
 */
export function readOtlpBody(req: IncomingMessage, opts: BodyReadOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const max = opts.maxBytes;
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) {
      reject(new HttpError(413, `request body of ${declared} bytes exceeds the limit of ${max} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let held = 0;
    let wire = 0;
    let done = false;
    let inflater: Gunzip | Inflate | undefined;
    const idle = setTimeout(() => {
      finish(
        new Refusal(
          503,
          'stalled',
          `request body stalled: no bytes for ${opts.idleTimeoutMs} ms (after ${wire} bytes)`,
        ),
      );
    }, opts.idleTimeoutMs);
    idle.unref();

    const finish = (e: Error | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(idle);
      req.off('data', onWire);
      req.off('end', onWireEnd);
      if (e === undefined) {
        if (!req.complete) req.resume(); // bytes after the end of a compressed stream
        resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, held));
        return;
      }
      chunks.length = 0;
      inflater?.destroy();
      req.resume(); // drain and drop the rest
      reject(e);
    };
    const keep = (chunk: Buffer, limitMessage: string): void => {
      if (held + chunk.length > max) {
        finish(new HttpError(413, limitMessage));
        return;
      }
      try {
        opts.onHeld(held + chunk.length);
      } catch (e) {
        finish(e instanceof Error ? e : new Error(String(e)));
        return;
      }
      held += chunk.length;
      chunks.push(chunk);
    };

    if (opts.contentEncoding !== 'identity') {
      const z = (inflater = opts.contentEncoding === 'gzip' ? createGunzip() : createInflate());
      z.on('data', (chunk: Buffer) => {
        if (done) return;
        idle.refresh(); // the body is moving, even while reading waits for the inflater
        keep(chunk, `decompressed request body exceeds the limit of ${max} bytes`);
      });
      z.on('end', () => finish(undefined));
      z.on('error', (err) => {
        finish(new HttpError(400, `request body is not valid compressed data (${err.message})`));
      });
    }
    function onWire(chunk: Buffer): void {
      if (done) return;
      idle.refresh();
      wire += chunk.length;
      if (wire > max) {
        finish(new HttpError(413, `request body exceeds the limit of ${max} bytes`));
        return;
      }
      if (inflater === undefined) keep(chunk, `request body exceeds the limit of ${max} bytes`);
      else if (!inflater.write(chunk)) {
        // Inflating is slower than the network: read no further until it catches up.
        req.pause();
        inflater.once('drain', () => {
          if (!done) req.resume();
        });
      }
    }
    function onWireEnd(): void {
      if (inflater === undefined) finish(undefined);
      else inflater.end();
    }
    req.on('data', onWire);
    req.on('end', onWireEnd);
    // Also a client that hangs up mid-body (Node reports it as `aborted`): its slot and memory are
    // given back at once, not at the idle timeout.
    req.on('error', (e) => finish(new HttpError(400, `request body could not be read: ${e.message}`)));
  });
}
