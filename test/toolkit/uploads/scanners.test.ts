// The malware-scan step: the shipped signature file and its scanner (a signature split
// across reads is still found), and the clamd INSTREAM client against a fake clamd — clean,
// found, and every way clamd can fail, each of which must fail closed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClamdScanner, createSignatureScanner, DEFAULT_SIGNATURE_FILE, parseSignatures, ScannerUnavailableError, signatureScanner } from '../../../src/toolkit/index.ts';
import { startFakeClamd, type FakeClamd } from './fake-clamd.ts';
import { EICAR } from './samples.ts';
import { closeAll } from '../../helpers/close-all.ts';

let dir: string;
const file = (name: string, data: Buffer | string): string => {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
};
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'rampart-scan-'));
});
after(() => closeAll(() => rmSync(dir, { recursive: true, force: true })));

describe('signature scanner', () => {
  test('the shipped signature file holds the EICAR test signature, as hex', () => {
    const text = readFileSync(DEFAULT_SIGNATURE_FILE, 'utf8');
    assert.ok(!text.includes('EICAR-STANDARD'), 'stored as hex, not literally');
    const signatures = parseSignatures(text);
    assert.ok(signatures.some((s) => s.bytes.equals(EICAR)));
  });

  test('finds EICAR anywhere in a file and names the signature', async () => {
    const scanner = createSignatureScanner(DEFAULT_SIGNATURE_FILE);
    assert.deepEqual(await scanner.scan(file('eicar.txt', EICAR)), { clean: false, signature: 'Eicar-Test-Signature' });
    assert.deepEqual(await scanner.scan(file('inside.bin', Buffer.concat([Buffer.alloc(100_000, 1), EICAR, Buffer.alloc(10)]))), { clean: false, signature: 'Eicar-Test-Signature' });
    assert.deepEqual(await scanner.scan(file('clean.bin', Buffer.alloc(200_000, 7))), { clean: true });
  });

  test('finds a signature split across every possible read boundary', async () => {
    const scanner = createSignatureScanner(DEFAULT_SIGNATURE_FILE, { chunkBytes: 16 });
    for (let offset = 0; offset < 16; offset++) {
      const path = file(`split-${offset}.bin`, Buffer.concat([Buffer.alloc(offset, 0x20), EICAR]));
      assert.deepEqual(await scanner.scan(path), { clean: false, signature: 'Eicar-Test-Signature' }, `offset ${offset}`);
    }
    // A near miss (last byte differs) is clean whatever the split.
    const nearMiss = Buffer.from(EICAR);
    nearMiss[nearMiss.length - 1] = 0x2b;
    assert.deepEqual(await scanner.scan(file('near.bin', nearMiss)), { clean: true });
  });

  test('several signatures, with one longer than a read', async () => {
    const scanner = signatureScanner([{ name: 'short', bytes: Buffer.from('abcd') }, { name: 'long', bytes: Buffer.alloc(40, 0x41) }], { chunkBytes: 8 });
    assert.deepEqual(await scanner.scan(file('long.bin', Buffer.concat([Buffer.from('zz'), Buffer.alloc(40, 0x41)]))), { clean: false, signature: 'long' });
    assert.deepEqual(await scanner.scan(file('short.bin', 'xxxxxxabcd')), { clean: false, signature: 'short' });
  });

  test('a malformed signature file is refused at construction, naming the line', () => {
    assert.throws(() => parseSignatures('# only a comment\n'), /no signatures/);
    assert.throws(() => parseSignatures('Good:41424344\nbad line\n'), /line 2/);
    assert.throws(() => parseSignatures('Odd:414'), /line 1/);
  });
});

describe('clamd scanner (INSTREAM over a unix socket, against a fake clamd)', () => {
  let clamd: FakeClamd;
  before(async () => {
    clamd = await startFakeClamd({ 'Win.Test.EICAR_HDB-1': EICAR });
  });
  after(() => closeAll(clamd));

  test('streams the file in length-prefixed chunks and reads OK as clean', async () => {
    clamd.mode = 'scan';
    clamd.received.length = 0;
    const data = Buffer.alloc(150_000, 3);
    const result = await createClamdScanner({ socketPath: clamd.socketPath, chunkBytes: 64 * 1024 }).scan(file('clean.bin', data));
    assert.deepEqual(result, { clean: true });
    assert.equal(clamd.received.length, 1);
    assert.ok(clamd.received[0]!.data.equals(data));
    assert.deepEqual(clamd.received[0]!.chunks, [65536, 65536, 18928]);
  });

  test('reads `<name> FOUND` as infected, with clamd\'s signature name', async () => {
    clamd.mode = 'scan';
    const result = await createClamdScanner({ socketPath: clamd.socketPath }).scan(file('eicar.com', EICAR));
    assert.deepEqual(result, { clean: false, signature: 'Win.Test.EICAR_HDB-1' });
  });

  for (const [mode, why] of [['error', 'an ERROR reply'], ['garbage', 'a reply that is neither OK nor FOUND'], ['hang-up', 'a dropped connection']] as const) {
    test(`fails closed on ${why}`, async () => {
      clamd.mode = mode;
      await assert.rejects(createClamdScanner({ socketPath: clamd.socketPath }).scan(file('x.bin', 'hello world')), ScannerUnavailableError);
    });
  }

  test('fails closed when clamd does not answer in time', async () => {
    clamd.mode = 'silent';
    await assert.rejects(createClamdScanner({ socketPath: clamd.socketPath, timeoutMs: 200 }).scan(file('y.bin', 'hello world')), ScannerUnavailableError);
  });

  test('fails closed when nothing listens on the socket', async () => {
    await assert.rejects(createClamdScanner({ socketPath: join(dir, 'no-such.sock') }).scan(file('z.bin', 'hello')), ScannerUnavailableError);
  });
});
