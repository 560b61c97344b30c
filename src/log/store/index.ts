/** The log's storage drivers and the interface they share (see types.ts; one test suite runs against both). */
export { createSqliteStore } from './sqlite.js';
export type { SqliteStoreOptions } from './sqlite.js';
export { createPostgresStore } from './postgres.js';
export type { PostgresStoreOptions } from './postgres.js';
export type { AppendBatch, AppendContext, LogHead, LogStore, StoredEntry, TileWrite } from './types.js';
