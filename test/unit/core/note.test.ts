import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { noteKeyHint, noteKeyHints, parseSignedNote, signNote, verifySignedNote, type NoteKey, type NoteVerifier } from '../../../src/core/note.js';
import { KeylessError } from '../../../src/core/errors.js';

const code = (c: string) => (err: unknown) => err instanceof KeylessError && err.code === c;
const b64 = (s: string) => Uint8Array.from(Buffer.from(s, 'base64'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// golang.org/x/mod/sumdb/note's documented example (note.go, note_test.go): key, text and the exact signed note.
const PETER_VKEY = b64('ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW').subarray(1);
const PETER_SEED = b64('AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz').subarray(1);
const PETER_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_NOTE = `${PETER_TEXT}\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;
const ED_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const ED_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const peterSpki = new Uint8Array(Buffer.concat([ED_SPKI_PREFIX, PETER_VKEY]));
const peterPublic = createPublicKey({ key: Buffer.from(peterSpki), format: 'der', type: 'spki' });
const peterPrivate = createPrivateKey({ key: Buffer.concat([ED_PKCS8_PREFIX, PETER_SEED]), format: 'der', type: 'pkcs8' });

// transparency-dev/formats note/note_verifier_test.go: a production Rekor v1 checkpoint signed by the public-good
// Rekor ECDSA key (key hash c0d23d6a, also the first bytes of its log ID), and a Pixel 6 log checkpoint (91c16e30).
const REKOR_SPKI = b64('MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2G2Y+2tabdTV5BcGiBIx0a9fAFwrkBbmLSGtks4L3qX6yYY0zufBnhC8Ur/iy55GhWP/9A/bY2LhC30M9+RYtw==');
const REKOR_NOTE = 'Rekor\n798034\nf+7CoKgXKE/tNys9TTXcr/ad6U/K3xvznmzew9y6SP0=\n\n\u2014 rekor.sigstore.dev wNI9ajBEAiARInWIWyCdyG27CO6LPnPekyw20qO0YJfoaPaowGp/XgIgc+qEHS3+GKVClgqq20uDLet7MCoTURUCRdxwWBHHufk=\n';
const PIXEL_SPKI = b64('AjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABN+4x0Jk1yTwvLFI9A4NDdGZcX0aiWVdWM5XJVy0M4VWD3AvyW5Q6Hs9A0mcDkpUoYgn+KKPNzFC0H3nN3q6JQ8=').subarray(1);

const ed25519Verifier = (name: string, key: KeyObject, spki: Uint8Array): NoteVerifier => ({
  name,
  keyHint: noteKeyHint(name, { type: 'ed25519', spki }),
  verify: (msg, sig) => verify(null, msg, key, sig),
});
const ecdsaVerifier = (name: string, spki: Uint8Array, scheme: 'c2sp' | 'rekor-v1' = 'rekor-v1'): NoteVerifier => ({
  name,
  keyHint: noteKeyHint(name, { type: 'ecdsa-p256', spki }, scheme),
  // Rekor v1 signs SHA-256(note text) with ECDSA; the signature is DER.
  verify: (msg, sig) => verify('sha256', msg, createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }), sig),
});

test('parses and verifies the Go sumdb/note example, and signNote reproduces it byte for byte', () => {
  const note = parseSignedNote(PETER_NOTE);
  assert.equal(note.text, PETER_TEXT);
  assert.equal(note.signatures.length, 1);
  assert.equal(toHex(note.signatures[0]?.keyHint ?? new Uint8Array()), 'c74f20a3');
  assert.equal(toHex(noteKeyHint('PeterNeumann', { type: 'ed25519', spki: peterSpki })), 'c74f20a3');
  assert.deepEqual(verifySignedNote(note, [ed25519Verifier('PeterNeumann', peterPublic, peterSpki)]), { verifiedBy: ['PeterNeumann'] });
  const signed = signNote(PETER_TEXT, [{ name: 'PeterNeumann', keyHint: Uint8Array.from([0xc7, 0x4f, 0x20, 0xa3]), sign: (m) => sign(null, m, peterPrivate) }]);
  assert.equal(signed, PETER_NOTE);
});

test('verifies real Rekor v1 and Pixel ECDSA checkpoints; ECDSA key hints are SHA-256(SPKI)[:4] in both schemes', () => {
  assert.equal(toHex(noteKeyHint('rekor.sigstore.dev', { type: 'ecdsa-p256', spki: REKOR_SPKI }, 'rekor-v1')), 'c0d23d6a');
  assert.equal(toHex(noteKeyHint('rekor.sigstore.dev', { type: 'ecdsa-p256', spki: REKOR_SPKI }, 'c2sp')), 'c0d23d6a');
  assert.equal(toHex(noteKeyHint('pixel6_transparency_log', { type: 'ecdsa-p256', spki: PIXEL_SPKI })), '91c16e30');
  assert.deepEqual(verifySignedNote(parseSignedNote(REKOR_NOTE), [ecdsaVerifier('rekor.sigstore.dev', REKOR_SPKI)]).verifiedBy, ['rekor.sigstore.dev']);
  const pixel = 'DEFAULT\n10\nbsWRucJU5xJPHb5eBdOm6+DM+VelCZBuvtI3sHERJ9Y=\n\n\u2014 pixel6_transparency_log kcFuMDBFAiEAhqMAP8P6qf6QxtUJhzMhbN+MbZ9dwfUHzGQJmffJHtoCIGD0cNe47dHWBoPwYdgBCepB06/+g5O1FmYjXl06owL4\n';
  verifySignedNote(parseSignedNote(pixel), [ecdsaVerifier('pixel6_transparency_log', PIXEL_SPKI, 'c2sp')]);
});

test('Rekor v1 hints Ed25519 and RSA keys by SHA-256(SPKI) too; C2SP/rekor-tiles hints bind the name', () => {
  const ed = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'der', type: 'spki' });
  const edKey: NoteKey = { type: 'ed25519', spki: new Uint8Array(ed) };
  const rsaKey: NoteKey = { type: 'rsa', spki: new Uint8Array(rsa) };
  const spkiHash = (d: Buffer) => toHex(createHash('sha256').update(d).digest().subarray(0, 4));
  assert.equal(toHex(noteKeyHint('a.example', edKey, 'rekor-v1')), spkiHash(ed));
  assert.equal(toHex(noteKeyHint('a.example', rsaKey, 'rekor-v1')), spkiHash(rsa));
  assert.notEqual(toHex(noteKeyHint('a.example', edKey)), toHex(noteKeyHint('b.example', edKey)));
  assert.notEqual(toHex(noteKeyHint('a.example', rsaKey)), toHex(noteKeyHint('b.example', rsaKey)));
  assert.deepEqual(noteKeyHints('a.example', edKey), [noteKeyHint('a.example', edKey), noteKeyHint('a.example', edKey, 'rekor-v1')]);
  assert.deepEqual(noteKeyHints('rekor.sigstore.dev', { type: 'ecdsa-p256', spki: REKOR_SPKI }).map(toHex), ['c0d23d6a']);
  assert.throws(() => noteKeyHint('has space', edKey), TypeError);
  assert.throws(() => noteKeyHint('a+b', edKey), TypeError);
  assert.throws(() => noteKeyHint('a.example', { type: 'ed25519', spki: new Uint8Array(rsa) }), TypeError);
});

test('unknown signatures are ignored (cosignatures), a bad signature by a known key is fatal, none verified is fatal', () => {
  const witness = generateKeyPairSync('ed25519');
  const witnessSpki = new Uint8Array(witness.publicKey.export({ format: 'der', type: 'spki' }));
  const witnessHint = noteKeyHint('witness.example', { type: 'ed25519', spki: witnessSpki });
  const cosigned = signNote(PETER_TEXT, [
    { name: 'witness.example', keyHint: witnessHint, sign: (m) => sign(null, m, witness.privateKey) },
    { name: 'PeterNeumann', keyHint: Uint8Array.from([0xc7, 0x4f, 0x20, 0xa3]), sign: (m) => sign(null, m, peterPrivate) },
  ]);
  const peter = ed25519Verifier('PeterNeumann', peterPublic, peterSpki);
  assert.deepEqual(verifySignedNote(parseSignedNote(cosigned), [peter]).verifiedBy, ['PeterNeumann']);
  const both = [peter, ed25519Verifier('witness.example', witness.publicKey, witnessSpki)];
  assert.deepEqual(verifySignedNote(parseSignedNote(cosigned), both).verifiedBy, ['witness.example', 'PeterNeumann']);
  // Same name but another key ID, or same key ID under another name: unknown, ignored, so nothing verifies.
  assert.throws(() => verifySignedNote(parseSignedNote(PETER_NOTE), [{ ...peter, keyHint: Uint8Array.of(0, 0, 0, 0) }]), code('ERR_TLOG_CHECKPOINT'));
  assert.throws(() => verifySignedNote(parseSignedNote(PETER_NOTE), [{ ...peter, name: 'Other' }]), code('ERR_TLOG_CHECKPOINT'));
  // A known key whose signature does not verify rejects the note even when another known key verified it.
  const tampered = cosigned.replace('cryptography', 'cryptographY');
  assert.throws(() => verifySignedNote(parseSignedNote(tampered), both), code('ERR_TLOG_CHECKPOINT'));
  const forged = PETER_NOTE.replace('x08go/ZJ', 'x08go/ZK');
  assert.throws(() => verifySignedNote(parseSignedNote(forged), [peter]), (e) => code('ERR_TLOG_CHECKPOINT')(e) && (e as KeylessError).details['name'] === 'PeterNeumann');
  assert.throws(() => verifySignedNote(parseSignedNote(PETER_NOTE), []), code('ERR_TLOG_CHECKPOINT'));
});

test('the text may hold blank lines; the last blank line separates the signatures', () => {
  const text = 'a\n\nb\n';
  const signed = signNote(text, [{ name: 'PeterNeumann', keyHint: Uint8Array.of(0xc7, 0x4f, 0x20, 0xa3), sign: (m) => sign(null, m, peterPrivate) }]);
  const note = parseSignedNote(signed);
  assert.equal(note.text, text);
  verifySignedNote(note, [ed25519Verifier('PeterNeumann', peterPublic, peterSpki)]);
});

test('every malformed note is ERR_NOTE_INVALID', () => {
  const sig = 'x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=';
  const bad = [
    'text\n\u2014 PeterNeumann ' + sig + '\n', // no blank line
    'text\n\n', // no signatures
    'text\n\n\u2014 PeterNeumann ' + sig, // no final newline
    'text\n\n- PeterNeumann ' + sig + '\n', // hyphen, not em dash
    'text\n\n\u2014PeterNeumann ' + sig + '\n', // no space after the dash
    'text\n\n\u2014 PeterNeumann\n', // no signature
    'text\n\n\u2014  ' + sig + '\n', // empty name
    'text\n\n\u2014 Peter+Neumann ' + sig + '\n', // plus in name
    'text\n\n\u2014 Peter\u00a0Neumann ' + sig + '\n', // Unicode space in name
    'text\n\n\u2014 PeterNeumann ' + sig.replace(/=$/, '') + '\n', // unpadded
    'text\n\n\u2014 PeterNeumann ' + sig.replace('/', '_') + '\n', // URL-safe alphabet
    'text\n\n\u2014 PeterNeumann AAAAAA==\n', // 4 bytes: a key ID and no signature
    'text\n\n\u2014 PeterNeumann ' + sig + ' extra\n', // trailing field
    'te\txt\n\n\u2014 PeterNeumann ' + sig + '\n', // control character
    'te\rxt\n\n\u2014 PeterNeumann ' + sig + '\n',
    'te\ud800xt\n\n\u2014 PeterNeumann ' + sig + '\n', // unpaired surrogate
    'text\n\n\u2014 PeterNeumann ' + sig + '\n\n', // blank line at the end
    'text\n\n' + `\u2014 PeterNeumann ${sig}\n`.repeat(101), // too many signatures
  ];
  for (const note of bad) assert.throws(() => parseSignedNote(note), code('ERR_NOTE_INVALID'), JSON.stringify(note));
  assert.equal(parseSignedNote('text\n\n' + `\u2014 PeterNeumann ${sig}\n`.repeat(16)).signatures.length, 16);
});

test('signNote refuses what it cannot sign', () => {
  const s = { name: 'n', keyHint: Uint8Array.of(1, 2, 3, 4), sign: () => Uint8Array.of(1) };
  assert.throws(() => signNote('no newline', [s]), TypeError);
  assert.throws(() => signNote('ctl\u0001\n', [s]), TypeError);
  assert.throws(() => signNote('ok\n', []), TypeError);
  assert.throws(() => signNote('ok\n', [{ ...s, name: 'a b' }]), TypeError);
  assert.throws(() => signNote('ok\n', [{ ...s, keyHint: Uint8Array.of(1) }]), TypeError);
});

test('fuzz: thousands of mutated notes never throw anything but ERR_NOTE_INVALID', () => {
  const alphabet = ['\n', '\u2014', ' ', '+', '=', '/', 'A', '\u0000', '\t', '\ud800', '\udc00', '\u00a0', 'é', '0'];
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const base = PETER_NOTE + `\u2014 witness.example ${Buffer.alloc(68, 9).toString('base64')}\n`;
  for (let i = 0; i < 5000; i++) {
    const chars = [...base];
    for (let m = 0, n = 1 + rand(4); m < n; m++) {
      const at = rand(chars.length + 1);
      const op = rand(3);
      const ch = alphabet[rand(alphabet.length)] as string;
      if (op === 0) chars.splice(at, 0, ch);
      else if (op === 1) chars.splice(at, 1);
      else chars[at] = ch;
    }
    const mutated = chars.join('');
    try {
      const note = parseSignedNote(mutated);
      verifySignedNote(note, [ed25519Verifier('PeterNeumann', peterPublic, peterSpki)]);
    } catch (err) {
      assert.ok(err instanceof KeylessError, `${String(err)} for ${JSON.stringify(mutated)}`);
      assert.ok(err.code === 'ERR_NOTE_INVALID' || err.code === 'ERR_TLOG_CHECKPOINT');
    }
  }
});

test('several trusted keys may share a name and key ID: the signature counts if any of them made it', () => {
  const peter = ed25519Verifier('PeterNeumann', peterPublic, peterSpki);
  const impostor = { ...peter, verify: () => false };
  assert.deepEqual(verifySignedNote(parseSignedNote(PETER_NOTE), [impostor, peter]).verifiedBy, ['PeterNeumann']);
  assert.deepEqual(verifySignedNote(parseSignedNote(PETER_NOTE), [peter, impostor]).verifiedBy, ['PeterNeumann']);
});

test('parsing bounds: a non-string is a TypeError; 100 signatures and a one-byte signature are allowed; a missing blank line is named', () => {
  assert.throws(() => parseSignedNote(7 as unknown as string), TypeError);
  const line = (i: number) => `\u2014 k${i} ${Buffer.from([0, 0, 0, i, 1]).toString('base64')}\n`;
  const hundred = `text\n\n${Array.from({ length: 100 }, (_, i) => line(i)).join('')}`;
  const parsed = parseSignedNote(hundred);
  assert.equal(parsed.signatures.length, 100);
  assert.equal(parsed.signatures[0]?.signature.length, 1);
  const tooMany = `text\n\n${Array.from({ length: 101 }, (_, i) => line(i)).join('')}`;
  assert.throws(() => parseSignedNote(tooMany), (e) => code('ERR_NOTE_INVALID')(e) && /more than 100 signatures/.test((e as Error).message));
  assert.throws(() => parseSignedNote(`text\n${line(1)}`), (e) => code('ERR_NOTE_INVALID')(e) && /no blank line separates/.test((e as Error).message));
  assert.throws(() => parseSignedNote('text\n\n'), (e) => code('ERR_NOTE_INVALID')(e) && /signature block is empty/.test((e as Error).message));
  assert.throws(() => parseSignedNote(`text\n\n${line(1).slice(0, -1)}`), (e) => code('ERR_NOTE_INVALID')(e) && /does not end with a newline/.test((e as Error).message));
});
