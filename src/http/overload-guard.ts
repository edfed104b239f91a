import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Criticality } from '../errors.js';
import { CRITICALITY_BAGGAGE_KEY, isCriticality } from '../overload/criticality.js';
import type { FastifyReplyLike, FastifyRequestLike } from './fastify.js';

/** What the edge guard asks of overload control (`OverloadManager` has it). */
export interface RequestAdmission {
  /** False when the request must be refused now. */
  admitRequest(criticality?: Criticality): boolean;
}

/** A system built by `createProductionSystem` (or the preload's), or its overload manager itself. */
export type OverloadGuardSource = RequestAdmission | { readonly components: { readonly overload?: RequestAdmission } };

/** Options of the edge guards. */
export interface OverloadGuardOptions {
  /**
   * The request's class; undefined falls back to the W3C `baggage` header's `criticality` entry (exactly one of
   * the four names), then to `overload.defaultCriticality`. It runs on every request: keep it to a header read.
   */
  criticality?: (req: IncomingMessage) => Criticality | undefined;
}

/** Refuses the request (503) when overload control says so; true when it did. */
export type OverloadGuard = (req: IncomingMessage, res: ServerResponse) => boolean;

const BODY = 'overloaded\n';
// One header object for every refusal: a refusal must cost a small fraction of a served request.
const HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/plain; charset=utf-8',
  'content-length': String(Buffer.byteLength(BODY)),
  'retry-after': '1',
};

/** The `criticality` entry of a W3C baggage header, when it names one of the four classes exactly. */
export function criticalityFromBaggageHeader(header: string | string[] | undefined): Criticality | undefined {
  if (header === undefined) return undefined;
  const text = typeof header === 'string' ? header : header.join(',');
  let at = text.indexOf(CRITICALITY_BAGGAGE_KEY);
  while (at >= 0) {
    const before = at === 0 ? ',' : text[at - 1];
    let eq = at + CRITICALITY_BAGGAGE_KEY.length;
    while (text[eq] === ' ') eq++;
    if ((before === ',' || before === ' ') && text[eq] === '=') {
      let end = eq + 1;
      while (end < text.length && text[end] !== ',' && text[end] !== ';') end++;
      const value = text.slice(eq + 1, end).trim();
      return isCriticality(value) ? value : undefined;
    }
    at = text.indexOf(CRITICALITY_BAGGAGE_KEY, at + 1);
  }
  return undefined;
}

function admissionOf(source: OverloadGuardSource): RequestAdmission {
  if ('admitRequest' in source && typeof source.admitRequest === 'function') return source;
  const overload = (source as { components?: { overload?: RequestAdmission } }).components?.overload;
  if (overload === undefined) throw new TypeError('the overload guard needs a system with overload control (components.overload)');
  return overload;
}

/**
 * The edge guard: decides from the request line and headers alone, before the body is read or any handler
 * runs, and answers a refusal itself with `503`, `Retry-After: 1` and a short body (the connection stays
 * open). Once one is in use, the queue-delay decision is the edge's for whole requests and step 5 no longer
 * takes it. Without `overload.queueDelay` it admits everything.
 */
export function createOverloadGuard(source: OverloadGuardSource, options: OverloadGuardOptions = {}): OverloadGuard {
  const admission = admissionOf(source);
  const classOf = options.criticality;
  return (req, res) => {
    const criticality = classOf?.(req) ?? criticalityFromBaggageHeader(req.headers.baggage);
    if (admission.admitRequest(criticality)) return false;
    res.writeHead(503, HEADERS);
    res.end(BODY);
    return true;
  };
}

/** A node:http request listener behind the edge guard: `http.createServer(withOverloadGuard(system, handler))`. */
export function withOverloadGuard(
  source: OverloadGuardSource,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  options?: OverloadGuardOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const guard = createOverloadGuard(source, options);
  return (req, res) => {
    if (!guard(req, res)) handler(req, res);
  };
}

/** The edge guard as Express middleware: `app.use(createExpressOverloadMiddleware(system))`, before body parsers. */
export function createExpressOverloadMiddleware(
  source: OverloadGuardSource,
  options?: OverloadGuardOptions,
): (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void {
  const guard = createOverloadGuard(source, options);
  return (req, res, next) => {
    if (!guard(req, res)) next();
  };
}

/** A Fastify `onRequest` hook (it runs before the body is parsed). */
export type FastifyOverloadHook = (request: FastifyRequestLike, reply: FastifyReplyLike, done: (error?: Error) => void) => void;

/** The edge guard as a Fastify hook: `app.addHook('onRequest', createFastifyOverloadHook(system))`. */
export function createFastifyOverloadHook(source: OverloadGuardSource, options?: OverloadGuardOptions): FastifyOverloadHook {
  const admission = admissionOf(source);
  const classOf = options?.criticality;
  return (request, reply, done) => {
    const criticality = classOf?.(request.raw) ?? criticalityFromBaggageHeader(request.headers.baggage);
    if (admission.admitRequest(criticality)) {
      done();
      return;
    }
    // A reply sent from a hook ends the request there; `done` is not called.
    reply.code(503).header('retry-after', '1').header('content-type', 'text/plain; charset=utf-8').send(BODY);
  };
}
