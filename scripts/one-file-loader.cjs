#!/usr/bin/env node
'use strict';
// keyless one-file CLI, built by scripts/build-cli.mjs from scripts/one-file-loader.cjs. Do not edit the built file.
//
// Why a loader: compiling keyless's ~300 KB of JavaScript is most of a short command's own start-up. V8 can save
// the code it compiled (including functions compiled while the command ran) and reuse it in the next process,
// which Node does itself only from 22.1 (module.enableCompileCache) and only for files. So the bundle is kept here
// as a string and compiled with vm.Script, reusing a per-user cache of V8 code, one per command (a cache made by
// `help` would not hold `verify-blob`'s functions). V8 checks that the cached code was made from this very
// source by this V8 with these flags, and otherwise ignores it; the cache is then rewritten.
// A cache file is code: it is read only from a directory that belongs to the user and that no one else can write.
// KEYLESS_COMPILE_CACHE=DIR chooses the directory, KEYLESS_COMPILE_CACHE=0 turns the cache off. The single
// executable carries caches for the common commands, made when it was built (see embeddedCache).
const CODE = '__KEYLESS_CODE__';
const CODE_ID = '__KEYLESS_CODE_ID__';

const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

/**
 * In the single executable, the cache made at build time by the very node binary it embeds (scripts/build-sea.mjs),
 * so that even its first run compiles little, and writes no cache of its own.
 */
function embeddedCache(name) {
  try {
    const sea = require('node:sea');
    return sea.isSea() ? Buffer.from(sea.getRawAsset(`compile-cache/${name}.v8`)) : undefined;
  } catch {
    return undefined; // not a single executable, or no cache made for this command
  }
}

function cacheDir() {
  const chosen = process.env.KEYLESS_COMPILE_CACHE;
  if (chosen === '0') return undefined;
  if (chosen !== undefined && chosen !== '') return chosen;
  const base = process.env.XDG_CACHE_HOME || (process.env.HOME ? path.join(process.env.HOME, '.cache') : undefined);
  return base === undefined ? undefined : path.join(base, 'keyless');
}

/** The directory if it is ours and closed to others (creating it so), else undefined: then no cache is used. */
function privateDir(dir) {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = fs.statSync(dir);
    const mine = typeof process.getuid !== 'function' || st.uid === process.getuid();
    return st.isDirectory() && mine && (st.mode & 0o022) === 0 ? dir : undefined;
  } catch {
    return undefined;
  }
}

const command = /^[a-z-]{1,32}$/.test(process.argv[2] ?? '') ? process.argv[2] : 'other';
const dir = cacheDir();
const safeDir = dir === undefined ? undefined : privateDir(dir);
const file = safeDir === undefined ? undefined : path.join(safeDir, `${CODE_ID}-${process.version}-${process.arch}-${command}.v8`);
let cachedData;
if (file !== undefined) {
  try {
    cachedData = fs.readFileSync(file);
  } catch {
    // no cache yet: compile from source, then save one
  }
}
// A cache file, when there is one, was made because the embedded cache was missing or rejected.
cachedData ??= embeddedCache(command);
const script = new vm.Script(CODE, { filename: 'keyless.cjs', ...(cachedData ? { cachedData } : {}) });
if (file !== undefined && (cachedData === undefined || script.cachedDataRejected)) {
  // At exit, so that the functions the command compiled are saved too. Written beside and renamed, so that a
  // concurrent start never reads half a file.
  process.once('exit', () => {
    try {
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
      fs.renameSync(tmp, file);
    } catch {
      // a cache that cannot be written costs speed, never the command
    }
  });
}
script.runInThisContext()(module.exports, require, module, __filename, __dirname);
