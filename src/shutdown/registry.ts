import { z } from 'zod';
import { InvalidConfigError } from '../errors.js';
import { parseSection } from '../internal/validation.js';
import { DEFAULT_HANDLER_PRIORITY, type HandlerOptions, type RegisteredHandler, type ShutdownHandler } from './handler.js';

/** Handlers one manager keeps at most. */
export const MAX_HANDLERS = 1000;

const handlerOptionsSchema = z.strictObject({
  priority: z.number().default(DEFAULT_HANDLER_PRIORITY),
  timeoutMs: z.number().int().min(1).max(3_600_000).optional(),
});

/**
 * The registered shutdown handlers, by unique name, each validated once when it is registered (name,
 * shape, options) and numbered in registration order, the tie-break of equal priorities.
 */
export class HandlerRegistry {
  private readonly byName = new Map<string, RegisteredHandler>();
  private seq = 0;

  /** @param defaultTimeoutMs - a step's timeout when the handler's options set none (`handlerTimeoutMs`). */
  constructor(private readonly defaultTimeoutMs: number) {}

  /** Handlers registered now. */
  get size(): number {
    return this.byName.size;
  }

  /** The handlers, in registration order. */
  values(): IterableIterator<RegisteredHandler> {
    return this.byName.values();
  }

  /** Adds `handler` under `name`. Throws INVALID_CONFIG on a bad or duplicate name, a bad handler or option, or past {@link MAX_HANDLERS}. */
  register(name: string, handler: ShutdownHandler, options: HandlerOptions = {}): void {
    const path = `shutdown.handlers.${name}`;
    if (typeof name !== 'string' || name.length === 0 || name.length > 200)
      throw new InvalidConfigError('shutdown.handlers', 'name must be a string of 1 to 200 characters');
    if (this.byName.has(name)) throw new InvalidConfigError(path, 'a handler with this name is already registered');
    if (this.byName.size >= MAX_HANDLERS) throw new InvalidConfigError(path, `at most ${MAX_HANDLERS} handlers`);
    if (typeof handler !== 'object' || handler === null) throw new InvalidConfigError(path, 'handler must be an object');
    const parsed = parseSection(handlerOptionsSchema, options, path);
    this.byName.set(name, {
      name,
      handler,
      priority: parsed.priority,
      timeoutMs: parsed.timeoutMs ?? this.defaultTimeoutMs,
      seq: this.seq++,
    });
  }

  /** Removes a handler; true when it was registered. */
  unregister(name: string): boolean {
    return this.byName.delete(name);
  }
}
