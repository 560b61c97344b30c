// The keyless library: named exports only, re-exported explicitly from each concern.
export { KeylessError, isKeylessError } from './core/errors.js';
export type { ErrorCode } from './core/errors.js';
