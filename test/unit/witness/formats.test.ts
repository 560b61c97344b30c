/**
 * C2SP wire formats for witnessing, checked against the specs' examples and another implementation's vectors
 * (test/vectors/witness/SOURCE.md): vkeys and key IDs, the cosignature/v1 message and timestamped signature, the
 * add-checkpoint request, the 409 body, and tlog-policy files with their quorum rules.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import {
  cosignatureTimestamp, cosignatureV1Message, cosignerKeyFromVkey, createCosigner, ed25519RawPublicKey, keyIdFor, noteVerifierFromVkey, noteVkey, parseVkey,
  SIG_TYPE_COSIGNATURE_V1, verifyCosignature,
} from '../../../src/core/cosignature.js';
import { KeylessError } from '../../../src/core/errors.js';
import { parseSignedNote, signNote, verifySignedNote } from '../../../src/core/note.js';
import { parseWitnessPolicy, quorumSatisfied } from '../../../src/core/tlog-policy.js';
import { formatAddCheckpointRequest, formatTlogSize, parseAddCheckpointRequest, parseCosignatureLines, parseTlogSize } from '../../../src/core/tlog-witness.js';
import { ROOT } from '../../helpers/vectors.js';

const V = JSON.parse(readFileSync(join(ROOT, 'test', 'vectors', 'witness', 'vectors.json'), 'utf8')) as {
  cosignatureVkeys: { vkey: string; valid: boolean; type?: number }[];
  noteVkeys: { vkey: string; valid: boolean; type: number }[];
  signedNoteExample: { vkey: string; note: string };
  cosignatureTimestamps: { signature: string; keyId?: string; timestamp: number | null }[];
  addCheckpointExample: string;
  cosignedCheckpointExample: string;
};

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof KeylessError) return err.code;
    throw err;
  }
  return 'no error';
};

describe('vkeys and key IDs', () => {
  test('a deployed witness\'s cosignature/v1 vkey parses, and its key ID is SHA-256(name || "\\n" || 0x04 || key)[:4]', () => {
    for (const v of V.cosignatureVkeys) {
      if (!v.valid) {
        assert.notEqual(code(() => parseVkey(v.vkey)), 'no error', v.vkey);
        continue;
      }
      const parsed = parseVkey(v.vkey);
      assert.equal(parsed.type, SIG_TYPE_COSIGNATURE_V1);
      assert.deepEqual(keyIdFor(parsed.name, 0x04, parsed.key), parsed.keyId);
      const manual = createHash('sha256').update(Buffer.concat([Buffer.from(`${parsed.name}\n`), Buffer.of(0x04), parsed.key])).digest().subarray(0, 4);
      assert.equal(Buffer.from(parsed.keyId).toString('hex'), manual.toString('hex'));
      assert.equal(cosignerKeyFromVkey(v.vkey).name, 'remora.n621.de');
    }
  });

  test('Ed25519 note vkeys (type 0x01) parse; the signed-note spec example verifies its note', () => {
    for (const v of V.noteVkeys) assert.equal(parseVkey(v.vkey).type, v.type);
    const note = parseSignedNote(V.signedNoteExample.note);
    assert.deepEqual(verifySignedNote(note, [noteVerifierFromVkey(V.signedNoteExample.vkey)]).verifiedBy, ['example.com/foo']);
  });

  test('a note key is not a cosigner key and vice versa (the type byte keeps them apart)', () => {
    assert.equal(code(() => cosignerKeyFromVkey(V.noteVkeys[0]!.vkey)), 'ERR_KEY_UNSUPPORTED');
    assert.equal(code(() => noteVerifierFromVkey(V.cosignatureVkeys[0]!.vkey)), 'ERR_KEY_UNSUPPORTED');
  });

  test('noteVkey of a log key gives the key hint the log signs checkpoints with (c2sp Ed25519)', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const vkey = noteVkey('example.com/log', privateKey);
    const v = noteVerifierFromVkey(vkey);
    const signed = signNote('example.com/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n', [{ name: 'example.com/log', keyHint: v.keyHint, sign: (m) => new Uint8Array(require_sign(m, privateKey)) }]);
    assert.deepEqual(verifySignedNote(parseSignedNote(signed), [v]).verifiedBy, ['example.com/log']);
  });
});

import { sign as nodeSign, type KeyObject } from 'node:crypto';
function require_sign(m: Uint8Array, k: KeyObject): Buffer {
  return nodeSign(null, m, k);
}

describe('cosignature/v1', () => {
  test('the timestamped signature: key ID, big-endian u64 time, 64-byte signature (formats vector)', () => {
    for (const v of V.cosignatureTimestamps) {
      const bytes = Buffer.from(v.signature, 'base64');
      const ts = cosignatureTimestamp(bytes.subarray(4));
      assert.equal(ts === undefined ? null : Number(ts), v.timestamp);
      if (v.keyId !== undefined) assert.equal(bytes.subarray(0, 4).toString('hex'), v.keyId);
    }
  });

  test('the signed message is "cosignature/v1\\ntime <t>\\n" and the checkpoint body', () => {
    const body = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
    assert.equal(Buffer.from(cosignatureV1Message(body, 1679315147)).toString(), `cosignature/v1\ntime 1679315147\n${body}`);
  });

  test('a cosignature verifies with the cosigner\'s vkey, covers extension lines and the time, and is ignored under another name', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const cosigner = createCosigner('witness.example/w1', privateKey);
    assert.deepEqual(cosignerKeyFromVkey(cosigner.vkey).publicKey, ed25519RawPublicKey(privateKey));
    const body = 'example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\next line\n';
    const line = cosigner.cosign(body, 1700000000);
    const sig = parseSignedNote(`${body}\n${line}`).signatures[0]!;
    const key = cosignerKeyFromVkey(cosigner.vkey);
    assert.deepEqual(verifyCosignature(key, body, sig), { name: 'witness.example/w1', timestamp: 1700000000 });
    assert.equal(verifyCosignature(key, body.replace('ext line', 'ext lime'), sig), false, 'extension lines are signed');
    const tampered = { ...sig, signature: Uint8Array.from(sig.signature) };
    tampered.signature[7] = tampered.signature[7]! ^ 1; // the timestamp's last byte
    assert.equal(verifyCosignature(key, body, tampered), false, 'the timestamp is signed');
    assert.equal(verifyCosignature({ ...key, name: 'other' }, body, sig), undefined, 'another name: not this cosigner\'s line');
    assert.throws(() => cosigner.cosign(body, 0), TypeError, 'a witness never omits the timestamp');
  });

  test('the spec\'s cosigned checkpoint example is a valid note with the log signature and one cosignature line', () => {
    const note = parseSignedNote(V.cosignedCheckpointExample);
    assert.deepEqual(note.signatures.map((s) => s.name), ['example.com/behind-the-sofa', 'witness.example.com/w1']);
    assert.equal(note.signatures[1]!.signature.length, 8 + 64);
  });
});

describe('add-checkpoint wire format', () => {
  test('the spec\'s example request parses: old size, four proof hashes, the checkpoint with two signatures', () => {
    const req = parseAddCheckpointRequest(V.addCheckpointExample);
    assert.equal(req.oldSize, 20852014);
    assert.equal(req.proof.length, 4);
    assert.equal(parseSignedNote(req.checkpoint).signatures.length, 2);
    assert.equal(formatAddCheckpointRequest(req), V.addCheckpointExample, 'formatting gives the same bytes back');
  });

  test('malformed requests are ERR_REQUEST (400)', () => {
    const cp = 'example.com/log\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\u2014 x AAAAAAA=\n';
    for (const body of [
      `old 01\n\n${cp}`, // leading zero
      `old -1\n\n${cp}`,
      `old  1\n\n${cp}`, // two spaces
      `Old 1\n\n${cp}`,
      `old 1\nnot base64\n\n${cp}`,
      `old 1\nAAAA\n\n${cp}`, // not 32 bytes
      `old 1\n${'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n'.repeat(64)}\n${cp}`, // 64 lines > 63
      `old 1\n${cp}`, // no empty line before the checkpoint... (the checkpoint's own blank line is taken as the separator)
      'old 1\n\n',
    ]) {
      assert.equal(code(() => {
        const r = parseAddCheckpointRequest(body);
        // the last two parse structurally; the checkpoint part is then not a checkpoint
        parseSignedNote(r.checkpoint);
        if (!r.checkpoint.startsWith('example.com')) throw new KeylessError('ERR_REQUEST', 'not a checkpoint');
      }) !== 'no error', true, JSON.stringify(body.slice(0, 40)));
    }
    assert.equal(parseAddCheckpointRequest(`old 0\n\n${cp}`).proof.length, 0);
  });

  test('the 409 body is the size and a newline', () => {
    assert.equal(formatTlogSize(42), '42\n');
    assert.equal(parseTlogSize('42\n'), 42);
    for (const bad of ['42', '042\n', 'x\n', '4 2\n']) assert.equal(parseTlogSize(bad), undefined);
  });

  test('the 200 body is note signature lines', () => {
    assert.deepEqual(parseCosignatureLines('\u2014 w AAAA\n\u2014 w2 BBBB\n'), ['\u2014 w AAAA\n', '\u2014 w2 BBBB\n']);
    assert.equal(code(() => parseCosignatureLines('- w AAAA\n')), 'ERR_NOTE_INVALID');
    assert.equal(code(() => parseCosignatureLines('\u2014 w AAAA')), 'ERR_NOTE_INVALID');
  });
});

describe('tlog-policy files', () => {
  const vk = (name: string) => createCosigner(name, generateKeyPairSync('ed25519').privateKey).vkey;
  const logVkey = noteVkey('example.com/log', generateKeyPairSync('ed25519').privateKey);

  test('the spec\'s example policy (two groups of three, X needs 2, Y any, both required)', () => {
    const text = `# example from c2sp.org/tlog-policy
log ${logVkey}

witness X1 ${vk('x1.example')}
witness X2 ${vk('x2.example')}
witness X3 ${vk('x3.example')} https://x3.example/witness
group X-witnesses 2 X1 X2 X3

\twitness Y1 ${vk('y1.example')}  
witness Y2 ${vk('y2.example')}
witness Y3 ${vk('y3.example')}
group Y-witnesses any Y1 Y2 Y3

group X-and-Y all X-witnesses Y-witnesses
quorum X-and-Y
`;
    const policy = parseWitnessPolicy(text);
    assert.equal(policy.logs.length, 1);
    assert.equal(policy.witnesses.length, 6);
    assert.equal(policy.witnesses[2]!.url, 'https://x3.example/witness');
    assert.equal(policy.quorum, 'X-and-Y');
    const q = (...names: string[]) => quorumSatisfied(policy, new Set(names));
    assert.equal(q('X1', 'X2', 'Y3'), true);
    assert.equal(q('X1', 'Y1', 'Y2', 'Y3'), false, 'one X is not enough');
    assert.equal(q('X1', 'X2', 'X3'), false, 'no Y');
  });

  test('quorum none needs nothing; a single witness as quorum needs that witness', () => {
    assert.equal(quorumSatisfied(parseWitnessPolicy('quorum none\n'), new Set()), true);
    const one = parseWitnessPolicy(`witness A ${vk('a.example')}\nquorum A\n`);
    assert.equal(quorumSatisfied(one, new Set()), false);
    assert.equal(quorumSatisfied(one, new Set(['A'])), true);
  });

  test('every rule of the syntax has a policy that breaks it (all problems are reported)', () => {
    const a = vk('a.example');
    const cases: [string, RegExp][] = [
      ['witness A x\nquorum A\n', /line 1/],
      [`witness A ${a}\n`, /no quorum line/],
      [`witness A ${a}\nquorum A\nquorum A\n`, /second quorum/],
      [`quorum A\nwitness A ${a}\n`, /not defined on a preceding line/],
      [`witness A ${a}\nwitness B ${a}\nquorum A\n`, /same key is listed twice/],
      [`witness A ${a}\nwitness A ${vk('b.example')}\nquorum A\n`, /defined twice/],
      [`witness none ${a}\nquorum none\n`, /predefined/],
      [`witness A ${a}\ngroup G 2 A\nquorum G\n`, /threshold 2/],
      [`witness A ${a}\ngroup G 0 A\nquorum G\n`, /threshold 0/],
      [`witness A ${a}\ngroup G any A A\nquorum G\n`, /listed twice/],
      [`witness A ${a}\ngroup G any none\nquorum G\n`, /not a valid group member/],
      [`witness A ${a}\nwitnesses B ${a}\nquorum A\n`, /unknown keyword/],
      [`witness A ${a}\r\nquorum A\n`, /control character/],
      [`witness A ${logVkey}\nquorum A\n`, /type 0x01/],
    ];
    for (const [text, re] of cases) {
      assert.throws(() => parseWitnessPolicy(text), (err: unknown) => err instanceof KeylessError && err.code === 'ERR_USAGE' && re.test(err.message), text);
    }
  });
});
