import { z } from 'zod';
import { InvalidConfigError } from '../errors.js';

/** Longest operation name accepted (names become span names and metric attributes). */
export const MAX_OPERATION_NAME_LENGTH = 256;

// Control characters would corrupt logs and the Prometheus exposition; anything else is shown as text.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Throws INVALID_CONFIG (path `operationName`) unless `name` is a non-empty printable string of sane length. */
export function validateOperationName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidConfigError('operationName', 'must be a non-empty string');
  }
  if (name.length > MAX_OPERATION_NAME_LENGTH) {
    throw new InvalidConfigError('operationName', `is ${name.length} characters; at most ${MAX_OPERATION_NAME_LENGTH}`);
  }
  if (CONTROL.test(name)) throw new InvalidConfigError('operationName', 'must not contain control characters');
}

/**
 * Schema of an operation name, the one validation every per-operation section shares (`operations`, and the
 * deprecated `rateLimiting.perOperation` and `overload.operations`): what `validateOperationName` accepts.
 */
export const operationNameSchema = z
  .string()
  .min(1)
  .max(MAX_OPERATION_NAME_LENGTH)
  .refine((name) => !CONTROL.test(name), 'must not contain control characters');
