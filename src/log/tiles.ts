/**
 * C2SP tlog-tiles layout (https://c2sp.org/tlog-tiles): where tiles and entry bundles live, how wide each one is
 * in a tree of a given size, and the entry-bundle encoding. Pure functions, no I/O; the tree arithmetic that fills
 * tiles is in tree.ts.
 *
 * Indexes and sizes are JS numbers (safe integers). A wrong argument from our own code is a TypeError; a path that
 * arrives in a request, or bytes fetched from elsewhere, are parsed defensively and refused with ERR_REQUEST.
 */
import { KeylessError } from '../core/errors.js';

/** "Note that a tile represents the entire subtree of height 8 with its hashes as the leaves." */
export const TILE_HEIGHT = 8;
/** "Full tiles MUST be exactly 256 hashes wide, or 8,192 bytes." */
export const TILE_WIDTH = 256;
/** "`<L>` is the “level” of the tile, and MUST be a decimal ASCII integer between 0 and 63". */
export const MAX_TILE_LEVEL = 63;
/** "Entry bundles are sequences of big-endian uint16 length-prefixed log entries." */
export const MAX_ENTRY_SIZE = 0xffff;

/**
 * "`<N>` is the index of the tile within the level. It MUST be a non-negative integer encoded into zero-padded
 * 3-digit path elements. All but the last path element MUST begin with an `x`. For example, index 1234067 will be
 * encoded as `x001/x234/067`."
 */
export function tileIndexPath(n: number): string {
  checkCount(n, 'tile index');
  let rest = Math.floor(n / 1000);
  let path = pad3(n % 1000);
  while (rest > 0) {
    path = `x${pad3(rest % 1000)}/${path}`;
    rest = Math.floor(rest / 1000);
  }
  return path;
}

/**
 * "Tiles are served at `<prefix>/tile/<L>/<N>[.p/<W>]`". The path is relative to the log's prefix (no leading
 * slash). `width` undefined or 256 names the full tile; 1…255 a partial one.
 */
export function tilePath(level: number, index: number, width?: number): string {
  checkLevel(level);
  return `tile/${level}/${tileIndexPath(index)}${partialSuffix(width)}`;
}

/**
 * "The log entries are served as a “entry bundles” at `<prefix>/tile/entries/<N>[.p/<W>]` … `<N>` and `.p/<W>`
 * have the same meaning as in Merkle Tree tile paths above."
 */
export function entriesPath(index: number, width?: number): string {
  return `tile/entries/${tileIndexPath(index)}${partialSuffix(width)}`;
}

/** A parsed tile or entry-bundle path; `width` is 256 for a full tile. */
export type ParsedTilePath =
  | { readonly kind: 'hash'; readonly level: number; readonly index: number; readonly width: number }
  | { readonly kind: 'entries'; readonly index: number; readonly width: number };

// One regular expression for the whole grammar; the canonical-form rules it cannot say are checked after.
const PATH_RE = /^tile\/(entries|0|[1-9][0-9]?)\/((?:x[0-9]{3}\/)*[0-9]{3})(?:\.p\/([1-9][0-9]{0,2}))?$/;

/**
 * Parses a path relative to the log's prefix ('tile/0/x001/x234/067.p/5', 'tile/entries/000'; no leading slash,
 * no query). Accepts only the canonical form, so that every tile has exactly one name (a cache or CDN never holds
 * two copies, and no path escapes the layout); anything else is ERR_REQUEST.
 */
export function parseTilePath(path: string): ParsedTilePath {
  const refuse = (reason: string): never => {
    throw new KeylessError('ERR_REQUEST', `not a tlog-tiles path: ${reason}`, { path: String(path).slice(0, 200) });
  };
  if (typeof path !== 'string') return refuse('not a string');
  const m = PATH_RE.exec(path);
  if (m === null) return refuse('expected tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>]');
  const [, levelText = '', indexText = '', widthText] = m;
  const groups = indexText.split('/');
  // Zero-padding is to three digits per element, not extra elements: 'x000/067' is a second name for '067'.
  if (groups.length > 1 && groups[0] === 'x000') refuse('tile index has a leading x000 element');
  let index = 0;
  for (const g of groups) index = index * 1000 + Number(g.startsWith('x') ? g.slice(1) : g);
  if (!Number.isSafeInteger(index)) refuse('tile index is too large');
  let width = TILE_WIDTH;
  if (widthText !== undefined) {
    // "`<W>` is the width of the tile, a decimal ASCII integer between 1 and 255, with no additional leading zeroes."
    width = Number(widthText);
    if (width > TILE_WIDTH - 1) refuse(`partial tile width ${width} is not between 1 and 255`);
  }
  if (levelText === 'entries') return { kind: 'entries', index, width };
  // "`<L>` … MUST be a decimal ASCII integer between 0 and 63, with no additional leading zeroes."
  const level = Number(levelText);
  if (level > MAX_TILE_LEVEL) refuse(`tile level ${level} is above ${MAX_TILE_LEVEL}`);
  return { kind: 'hash', level, index, width };
}

/**
 * How many hashes tile (level, index) holds in a tree of `treeSize` leaves: 256 when full, 1…255 when partial,
 * 0 when it does not exist yet. "the *n*-th tile at level *l* … is the sequence of the following Merkle Tree Hashes,
 * with *i* from 0 to 255: MTH(D[(n * 256 + i) * 256**l : (n * 256 + i + 1) * 256**l])", so level l holds
 * floor(s / 256**l) hashes, and "The partial tile at level *l* for a tree of size *s* has
 * `floor(s / 256**l) mod 256` entries."
 */
export function tileWidth(level: number, index: number, treeSize: number): number {
  checkLevel(level);
  checkCount(index, 'tile index');
  checkCount(treeSize, 'tree size');
  // 256**level is a power of two, exact in floating point, so the division and floor are exact.
  const hashesAtLevel = Math.floor(treeSize / TILE_WIDTH ** level);
  return Math.min(TILE_WIDTH, Math.max(0, hashesAtLevel - index * TILE_WIDTH));
}

/** "Entry bundles are sequences of big-endian uint16 length-prefixed log entries." At most 256 per bundle. */
export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  if (entries.length > TILE_WIDTH) throw new TypeError(`an entry bundle holds at most ${TILE_WIDTH} entries, got ${entries.length}`);
  let total = 0;
  entries.forEach((e, i) => {
    if (!(e instanceof Uint8Array)) throw new TypeError(`entry ${i} is not a Uint8Array`);
    // The log must refuse such an entry at submission; this is the last line of defence, not a silent truncation.
    if (e.length > MAX_ENTRY_SIZE) {
      throw new KeylessError('ERR_TOO_LARGE', `entry ${i} is ${e.length} bytes; an entry bundle entry is at most ${MAX_ENTRY_SIZE}`, {
        entry: i,
        length: e.length,
        limit: MAX_ENTRY_SIZE,
      });
    }
    total += 2 + e.length;
  });
  const out = new Uint8Array(total);
  let at = 0;
  for (const e of entries) {
    out[at] = e.length >>> 8;
    out[at + 1] = e.length & 0xff;
    out.set(e, at + 2);
    at += 2 + e.length;
  }
  return out;
}

/**
 * Decodes an entry bundle strictly: every byte belongs to an entry, no length runs past the end, at most 256
 * entries. Returns copies (the input buffer may be reused by the caller).
 */
export function decodeEntryBundle(bytes: Uint8Array): Uint8Array[] {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('entry bundle is not a Uint8Array');
  const entries: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (entries.length === TILE_WIDTH) {
      throw new KeylessError('ERR_REQUEST', `entry bundle holds more than ${TILE_WIDTH} entries`, { offset: at, length: bytes.length });
    }
    if (at + 2 > bytes.length) {
      throw new KeylessError('ERR_REQUEST', 'entry bundle is truncated inside a length prefix', { entry: entries.length, offset: at, length: bytes.length });
    }
    const len = ((bytes[at] as number) << 8) | (bytes[at + 1] as number);
    if (at + 2 + len > bytes.length) {
      throw new KeylessError('ERR_REQUEST', `entry bundle is truncated: entry ${entries.length} claims ${len} bytes, ${bytes.length - at - 2} remain`, {
        entry: entries.length,
        offset: at,
        claimed: len,
        length: bytes.length,
      });
    }
    entries.push(bytes.slice(at + 2, at + 2 + len));
    at += 2 + len;
  }
  return entries;
}

/** "The `.p/<W>` suffix is only present for partial tiles". */
function partialSuffix(width: number | undefined): string {
  if (width === undefined || width === TILE_WIDTH) return '';
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH) {
    throw new TypeError(`tile width must be an integer between 1 and ${TILE_WIDTH}, got ${String(width)}`);
  }
  return `.p/${width}`;
}

function pad3(n: number): string {
  return String(n).padStart(3, '0');
}

function checkLevel(level: number): void {
  if (!Number.isInteger(level) || level < 0 || level > MAX_TILE_LEVEL) {
    throw new TypeError(`tile level must be an integer between 0 and ${MAX_TILE_LEVEL}, got ${String(level)}`);
  }
}

function checkCount(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new TypeError(`${what} must be a non-negative safe integer, got ${String(n)}`);
}
