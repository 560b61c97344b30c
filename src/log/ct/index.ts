export { addChainResponse, parseAddPreChainRequest, sctFromAddChainResponse, MAX_CHAIN_LENGTH, MAX_CERTIFICATE_CHARS, type AddChainResponse } from './add-pre-chain.js';
export { encodePrecertMerkleTreeLeaf, encodePrecertTimestampedEntry } from './leaf.js';
export {
  encodeDigitallySigned,
  encodeSct,
  encodeSctList,
  precertPoisonExtension,
  sctListExtension,
  signPrecertSct,
  SCT_HASH_SHA256,
  SCT_SIGNATURE_ECDSA,
  type PrecertEntry,
} from './sct.js';
export { createCtLog, createMemoryLeafStore, type AppendLeaf, type CtLog, type CtLogOptions } from './service.js';
