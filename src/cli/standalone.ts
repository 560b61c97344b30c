/**
 * Entry of the one-file CLI and the single executable (scripts/build-cli.mjs bundles it with everything it
 * imports). It is the bin script without top-level await, so that the same bundle can be CommonJS, which the
 * single executable requires.
 */
import { main } from './main.js';

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
