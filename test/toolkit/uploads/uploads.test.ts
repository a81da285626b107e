// createUploads on a bare toolkit server: options validated at construction, the storage
// directory's safety, and that a failing check never leaves a byte behind — including a
// scanner that breaks in an unexpected way.
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, lutimesSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUploads, loadConfig, Type, type AllowedType, type MalwareFinding, type MalwareHook, type RampartServer, type Scanner, type Uploads } from '../../../src/toolkit/index.ts';
import { request } from '../../helpers/http.ts';
import { startServer, type TestServer } from '../../helpers/server.ts';
import { GIF, PNG } from './samples.ts';
import { closeAll } from '../../helpers/close-all.ts';

const BOUNDARY = 'toolkit-upload-boundary';
const Stored = Type.Object({ name: Type.String(), mediaType: Type.String(), size: Type.Integer(), sha256: Type.String(), stored: Type.String() }, { additionalProperties: false });
const clean: Scanner = { scan: () => Promise.resolve({ clean: true }) };

function body(filename: string, data: Buffer, field = 'file'): Buffer {
  return Buffer.concat([Buffer.from(`--${BOUNDARY}\r\ncontent-disposition: form-data; name="${field}"; filename="${filename}"\r\n\r\n`), data, Buffer.from(`\r\n--${BOUNDARY}--\r\n`)]);
}

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'rampart-uploads-'));
});
after(() => closeAll(() => rmSync(dir, { recursive: true, force: true })));

describe('stale temporary files', () => {
  test('createUploads removes only temporary-named regular files older than an hour', () => {
    const storage = join(dir, 'stale');
    mkdirSync(storage, { mode: 0o700 });
    const uuid = '0b6c4a5e-8f1d-4c2e-9a7b-3d5e6f708192';
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    const names = {
      staleTemp: `.upload-${uuid}.part`,
      freshTemp: '.upload-1b6c4a5e-8f1d-4c2e-9a7b-3d5e6f708192.part',
      stored: uuid,
      lookalike: `.upload-${uuid}.part.bak`,
      upperCase: `.upload-${uuid.toUpperCase()}.part`,
      noDot: `upload-${uuid}.part`,
      staleLink: '.upload-2b6c4a5e-8f1d-4c2e-9a7b-3d5e6f708192.part',
    };
    for (const [key, name] of Object.entries(names)) {
      if (key === 'staleLink') symlinkSync(join(storage, names.stored), join(storage, name));
      else writeFileSync(join(storage, name), 'x');
      if (key !== 'freshTemp') lutimesSync(join(storage, name), old, old);
    }
    createUploads({ dir: storage, maxBytes: 10, scanner: clean });
    const left = readdirSync(storage).sort();
    assert.deepEqual(left, Object.entries(names).filter(([key]) => key !== 'staleTemp').map(([, name]) => name).sort());
  });
});

describe('createUploads options', () => {
  test('refuses to allow active content (SVG, HTML, XML) at construction', () => {
    const active: Record<string, AllowedType>[] = [{ svg: { mediaType: 'image/svg+xml', extensions: ['svg'] } }, { html: { mediaType: 'text/html', extensions: ['html'] } }, { xml: { mediaType: 'application/xml', extensions: ['xml'] } }];
    for (const allowedTypes of active) {
      assert.throws(() => createUploads({ dir: join(dir, 'x'), maxBytes: 10, scanner: clean, allowedTypes }), /active content/);
    }
  });

  test('refuses a size limit that is not a positive integer', () => {
    for (const maxBytes of [0, -1, 1.5, Number.NaN]) assert.throws(() => createUploads({ dir: join(dir, 'y'), maxBytes, scanner: clean }), /maxBytes/);
  });

  test('creates the storage directory 0700, and tightens an existing one', () => {
    const fresh = join(dir, 'fresh', 'files');
    createUploads({ dir: fresh, maxBytes: 10, scanner: clean });
    assert.equal(statSync(fresh).mode & 0o777, 0o700);
    const loose = join(dir, 'loose');
    mkdirSync(loose, { mode: 0o755 });
    chmodSync(loose, 0o755);
    createUploads({ dir: loose, maxBytes: 10, scanner: clean });
    assert.equal(statSync(loose).mode & 0o777, 0o700);
  });

  test('refuses a storage path that is a symlink', () => {
    const target = join(dir, 'elsewhere');
    mkdirSync(target);
    const link = join(dir, 'link');
    symlinkSync(target, link);
    assert.throws(() => createUploads({ dir: link, maxBytes: 10, scanner: clean }), /not a directory/);
  });
});

describe('receive on a toolkit server', () => {
  let server: TestServer;
  let storage: string;
  let scanner: Scanner = clean;
  let onMalware: MalwareHook = () => undefined;

  before(async () => {
    storage = join(dir, 'served-nowhere');
    const uploads: Uploads = createUploads({
      dir: storage,
      maxBytes: 1000,
      scanner: { scan: (path) => scanner.scan(path) },
      allowedTypes: { gif: { mediaType: 'image/gif', extensions: ['gif'] } },
      onMalware: (request, finding) => onMalware(request, finding),
    });
    server = await startServer({}, (app: RampartServer) => {
      void app.register(async (scope) => {
        await uploads.register(scope);
        scope.post('/upload', {
          policy: { public: true },
          schema: { response: { 201: Stored } },
          handler: async (request, reply) => {
            const upload = await uploads.receive(request);
            const stored = await upload.keep();
            return reply.code(201).send({ name: upload.name, mediaType: upload.mediaType, size: upload.size, sha256: upload.sha256, stored });
          },
        });
        // A route that documents another field name: that name, and only it, is accepted.
        scope.post('/document', {
          policy: { public: true },
          schema: { upload: { field: 'document' }, response: { 201: Stored } },
          handler: async (request, reply) => {
            const upload = await uploads.receive(request);
            const stored = await upload.keep();
            return reply.code(201).send({ name: upload.name, mediaType: upload.mediaType, size: upload.size, sha256: upload.sha256, stored });
          },
        });
      });
    });
  });
  after(() => closeAll(server));

  const post = (name: string, data: Buffer) => request(server.url, '/upload', { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }, body: body(name, data) });

  test('the file must come in the field the route documents (`file` when it documents none); nothing is stored otherwise', async () => {
    const send = (path: string, field: string) => request(server.url, path, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }, body: body('a.gif', GIF, field) });
    for (const [path, wrong, right] of [['/upload', 'document', 'file'], ['/document', 'file', 'document']] as const) {
      const files = readdirSync(storage).length;
      const refused = await send(path, wrong);
      assert.equal(refused.status, 400, refused.body);
      assert.equal(refused.headers['content-type'], 'application/problem+json');
      assert.equal((refused.json() as { field: string }).field, right);
      assert.equal(readdirSync(storage).length, files, 'nothing stored, not even a temporary file');
      assert.equal((await send(path, right)).status, 201);
      assert.equal(readdirSync(storage).length, files + 1);
    }
  });

  test('a custom allowlist and size limit apply', async () => {
    const ok = await post('a.gif', GIF);
    assert.equal(ok.status, 201, ok.body);
    assert.equal((ok.json() as { mediaType: string }).mediaType, 'image/gif');
    assert.equal((await post('a.png', PNG)).status, 415, 'PNG is not in this allowlist');
    const tooBig = await post('big.gif', Buffer.concat([GIF, Buffer.alloc(1000)]));
    assert.equal(tooBig.status, 413);
    assert.equal((tooBig.json() as { maxBytes: number }).maxBytes, 1000);
  });

  test('a scanner failing unexpectedly is a 500 that leaves no file behind', async () => {
    const before = readdirSync(storage);
    scanner = { scan: () => Promise.reject(new Error('scanner bug')) };
    try {
      const response = await post('b.gif', GIF);
      assert.equal(response.status, 500);
      assert.ok(!response.body.includes('scanner bug'));
    } finally {
      scanner = clean;
    }
    assert.deepEqual(readdirSync(storage), before);
  });

  test('a malware verdict is a 422 naming the signature, with nothing left behind', async () => {
    const before = readdirSync(storage);
    scanner = { scan: () => Promise.resolve({ clean: false, signature: 'Test.Sig' }) };
    try {
      const response = await post('c.gif', GIF);
      assert.equal(response.status, 422);
      assert.equal((response.json() as { signature: string }).signature, 'Test.Sig');
    } finally {
      scanner = clean;
    }
    assert.deepEqual(readdirSync(storage), before);
  });

  test('the malware hook gets signature, hash, size and detected type, never the name', async () => {
    const findings: MalwareFinding[] = [];
    scanner = { scan: () => Promise.resolve({ clean: false, signature: 'Test.Sig' }) };
    onMalware = (_request, finding) => {
      findings.push(finding);
    };
    try {
      assert.equal((await post('secret-name.gif', GIF)).status, 422);
    } finally {
      scanner = clean;
      onMalware = () => undefined;
    }
    assert.deepEqual(findings, [{ signature: 'Test.Sig', sha256: createHash('sha256').update(GIF).digest('hex'), size: GIF.length, detectedType: 'image/gif' }]);
  });

  test('a failing malware hook does not turn the refusal into a 500', async () => {
    const before = readdirSync(storage);
    scanner = { scan: () => Promise.resolve({ clean: false, signature: 'Test.Sig' }) };
    onMalware = () => Promise.reject(new Error('event store down'));
    try {
      const response = await post('d.gif', GIF);
      assert.equal(response.status, 422);
      assert.ok(!response.body.includes('event store down'));
    } finally {
      scanner = clean;
      onMalware = () => undefined;
    }
    assert.deepEqual(readdirSync(storage), before);
  });
});

test('RAMPART_CLAMD_SOCKET must be an absolute path; the upload settings have their defaults', () => {
  assert.throws(() => loadConfig({ NODE_ENV: 'development', RAMPART_CLAMD_SOCKET: 'clamd.sock' }, dir), /RAMPART_CLAMD_SOCKET must be the absolute path/);
  const config = loadConfig({ NODE_ENV: 'development', RAMPART_CLAMD_SOCKET: '/run/clamav/clamd.ctl' }, dir);
  assert.deepEqual(config.uploads, { maxBytes: 5 * 1024 * 1024, quotaBytes: 100 * 1024 * 1024, quotaCount: 1000, clamdSocket: '/run/clamav/clamd.ctl' });
});
