// Files through real HTTP, on node:sqlite and PostgreSQL: uploading, listing, downloading and
// deleting one's own files, and the attacks on uploads — an executable renamed .png, SVG and
// HTML with script, a polyglot, path traversal in the name, the EICAR string, an oversized
// stream, malformed multipart — and on downloads: another user's file, sniffing, rendering.
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Kysely } from 'kysely';
import type { FileTables } from '../../src/app/files/tables.ts';
import { request, type Response } from '../helpers/http.ts';
import { bearer, login, startReferenceService, STRONG_PASSWORD, type RunningService } from '../helpers/app.ts';
import { createTestDatabase } from '../toolkit/stores/services.ts';
import { startFakeClamd, type FakeClamd } from '../toolkit/uploads/fake-clamd.ts';
import { EICAR, ELF, GIF, HTML, JPEG, MZ, PDF, PNG, POLYGLOT, SVG, SVG_BARE, WEBP } from '../toolkit/uploads/samples.ts';
import { closeAll } from '../helpers/close-all.ts';

const OPERATOR = { id: null, clientIp: null };
const MiB = 1024 * 1024;
const ENV = { RAMPART_RATE_LIMIT_OVERRIDES: 'files-write=100000/60,files=100000/60', RAMPART_FILE_QUOTA_BYTES: String(12 * MiB), RAMPART_FILE_QUOTA_COUNT: '40', RAMPART_ENUMERATION_LIMIT: '1000' };
const META_FIELDS = ['createdAt', 'id', 'mediaType', 'name', 'sha256', 'size'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BOUNDARY = 'rampart-test-boundary-7MA4YWxkTrZu0gW';

interface User {
  id: string;
  token: string;
}

interface FileMeta {
  id: string;
  name: string;
  mediaType: string;
  size: number;
  sha256: string;
  createdAt: string;
}

interface Part {
  field: string;
  filename?: string;
  type?: string;
  data: Buffer | string;
}

function multipart(parts: Part[], boundary = BOUNDARY): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.field}"${part.filename === undefined ? '' : `; filename="${part.filename}"`}`;
    chunks.push(Buffer.from(`--${boundary}\r\ncontent-disposition: ${disposition}\r\n${part.type === undefined ? '' : `content-type: ${part.type}\r\n`}\r\n`));
    chunks.push(Buffer.from(part.data));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

/** GET with the body as bytes (downloads are binary). */
function download(url: string, path: string, token: string): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { headers: bearer(token), agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Forces a collection so heap measurements compare live memory, not garbage. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`files (${backend})`, () => {
    let service: RunningService;
    let dropDatabase: (() => Promise<void>) | undefined;
    let db: Kysely<FileTables>;
    let storageDir: string;
    let alice: User;
    let bob: User;
    let carol: User;
    let reader: User;

    async function user(username: string, role: string): Promise<User> {
      const { id } = await service.identity.createUser({ username, password: STRONG_PASSWORD, role }, OPERATOR);
      return { id, token: (await login(service.url, username)).access_token };
    }

    before(async () => {
      let env: Record<string, string> = ENV;
      if (backend === 'postgres') {
        const database = await createTestDatabase();
        dropDatabase = database.drop;
        env = { ...env, DATABASE_URL: database.url };
      }
      service = await startReferenceService(env);
      db = service.database.db;
      storageDir = join(service.config.dataDir, 'files');
      alice = await user('alice', 'user');
      bob = await user('bob', 'user');
      carol = await user('carol', 'user');
      reader = await user('reader', 'readonly');
    });
    after(() => closeAll(service, dropDatabase));

    const send = (who: User, body: Buffer, contentType = `multipart/form-data; boundary=${BOUNDARY}`): Promise<Response> =>
      request(service.url, '/v1/files', { method: 'POST', headers: { ...bearer(who.token), 'content-type': contentType }, body });
    const upload = (who: User, filename: string, data: Buffer | string, type = 'application/octet-stream'): Promise<Response> => send(who, multipart([{ field: 'file', filename, type, data }]));
    const uploaded = async (who: User, filename: string, data: Buffer): Promise<FileMeta> => {
      const response = await upload(who, filename, data);
      assert.equal(response.status, 201, response.body);
      return response.json() as FileMeta;
    };
    const get = (who: User, path: string): Promise<Response> => request(service.url, path, { headers: bearer(who.token) });
    const onDisk = (): string[] => readdirSync(storageDir).sort();
    const rowsOf = (who: User) => db.selectFrom('files').selectAll().where('owner_id', '=', who.id).execute();

    /** Runs a refused upload and proves nothing was stored: no row, no file, no temporary. */
    async function refused(who: User, attempt: () => Promise<Response>, status: number, slug: string): Promise<Record<string, unknown>> {
      const files = onDisk();
      const rows = (await rowsOf(who)).length;
      const response = await attempt();
      assert.equal(response.status, status, response.body);
      assert.equal(response.headers['content-type'], 'application/problem+json');
      const problem = response.json() as Record<string, unknown>;
      assert.equal(problem.type, `tag:rampart.dev,2026:problem:${slug}`);
      assert.deepEqual(onDisk(), files);
      assert.equal((await rowsOf(who)).length, rows);
      return problem;
    }

    describe('upload and download', () => {
      test('stores a PNG under a random name in the private storage directory', async () => {
        const before = onDisk();
        const response = await upload(alice, 'photo.png', PNG, 'image/png');
        assert.equal(response.status, 201, response.body);
        const file = response.json() as FileMeta;
        assert.deepEqual(Object.keys(file).sort(), META_FIELDS);
        assert.match(file.id, UUID);
        assert.equal(response.headers.location, `/v1/files/${file.id}`);
        assert.deepEqual({ name: file.name, mediaType: file.mediaType, size: file.size }, { name: 'photo.png', mediaType: 'image/png', size: PNG.length });
        assert.equal(file.sha256, '497790947d4666760ce38f3c00e852c71fdb66cae849bae8e9ede352719e1581');

        const added = onDisk().filter((name) => !before.includes(name));
        assert.equal(added.length, 1);
        const [stored] = added;
        assert.match(stored!, UUID, 'a random name without the client name or an extension');
        assert.notEqual(stored, file.id, 'the name on disk is not the public id');
        assert.ok(readFileSync(join(storageDir, stored!)).equals(PNG));
        assert.equal(statSync(join(storageDir, stored!)).mode & 0o777, 0o600);
        assert.equal(statSync(storageDir).mode & 0o777, 0o700);
        const [row] = await db.selectFrom('files').select(['storage_name', 'owner_id']).where('id', '=', file.id).execute();
        assert.deepEqual({ ...row }, { storage_name: stored, owner_id: alice.id });
        assert.ok(!response.body.includes(stored!), 'the storage name never leaves the server');
      });

      test('the storage directory is not reachable over HTTP', async () => {
        const file = await uploaded(alice, 'hidden.png', PNG);
        const [row] = await db.selectFrom('files').select('storage_name').where('id', '=', file.id).execute();
        for (const path of [`/files/${row!.storage_name}`, `/data/files/${row!.storage_name}`, `/v1/files/${row!.storage_name}`]) {
          const response = await get(alice, path);
          assert.equal(response.status, 404, path);
        }
      });

      test('downloads with exactly the protective headers and the exact bytes', async () => {
        const file = await uploaded(alice, 'Käse (1).png', PNG);
        assert.equal(file.name, 'Käse (1).png');
        const response = await download(service.url, `/v1/files/${file.id}`, alice.token);
        assert.equal(response.status, 200);
        assert.ok(response.body.equals(PNG));
        assert.equal(response.headers['content-type'], 'image/png');
        assert.equal(response.headers['content-length'], String(PNG.length));
        assert.equal(response.headers['content-disposition'], `attachment; filename="K_se (1).png"; filename*=UTF-8''K%C3%A4se%20%281%29.png`);
        assert.equal(response.headers['x-content-type-options'], 'nosniff');
        assert.equal(response.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'; sandbox");
        assert.equal(response.headers['cache-control'], 'private, no-store');
        assert.equal(response.headers['cross-origin-resource-policy'], 'same-origin');
      });

      test('HEAD answers the download headers without the bytes', async () => {
        const file = await uploaded(alice, 'head.png', PNG);
        const response = await request(service.url, `/v1/files/${file.id}`, { method: 'HEAD', headers: bearer(alice.token) });
        assert.equal(response.status, 200);
        assert.equal(response.body, '');
        assert.equal(response.headers['content-type'], 'image/png');
        assert.match(String(response.headers['content-disposition']), /^attachment; /);
        assert.equal(response.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'; sandbox");
      });

      test('accepts each allowed type and records the detected type, not the declared one', async () => {
        for (const [name, data, mediaType] of [['a.jpeg', JPEG, 'image/jpeg'], ['b.JPG', JPEG, 'image/jpeg'], ['c.gif', GIF, 'image/gif'], ['d.pdf', PDF, 'application/pdf'], ['e.webp', WEBP, 'image/webp']] as const) {
          const response = await upload(alice, name, data, 'text/html');
          assert.equal(response.status, 201, `${name}: ${response.body}`);
          const file = response.json() as FileMeta;
          assert.equal(file.mediaType, mediaType);
          const fetched = await download(service.url, `/v1/files/${file.id}`, alice.token);
          assert.equal(fetched.headers['content-type'], mediaType);
          assert.ok(fetched.body.equals(data));
        }
      });

      test('metadata by id, and the list holds only the caller\'s files, paginated', async () => {
        const mine = await uploaded(carol, 'one.png', PNG);
        await uploaded(carol, 'two.gif', GIF);
        await uploaded(carol, 'three.pdf', PDF);
        await uploaded(bob, 'bobs.png', PNG);
        const meta = await get(carol, `/v1/files/${mine.id}/meta`);
        assert.equal(meta.status, 200);
        assert.deepEqual(meta.json(), mine);

        const first = await get(carol, '/v1/files?limit=2');
        assert.equal(first.status, 200);
        const page = first.json() as { items: FileMeta[]; next: string | null };
        assert.deepEqual(page.items.map((f) => f.name), ['three.pdf', 'two.gif']);
        assert.ok(page.next !== null);
        const second = (await get(carol, `/v1/files?limit=2&cursor=${page.next}`)).json() as { items: FileMeta[]; next: string | null };
        assert.deepEqual(second.items.map((f) => f.name), ['one.png']);
        assert.equal(second.next, null);
        for (const item of [...page.items, ...second.items]) assert.deepEqual(Object.keys(item).sort(), META_FIELDS);
        assert.equal((await get(carol, '/v1/files?cursor=not-a-cursor')).status, 400);
      });

      test('the readonly role may list but not upload', async () => {
        assert.equal((await get(reader, '/v1/files')).status, 200);
        assert.equal((await upload(reader, 'x.png', PNG)).status, 403);
      });

      test('unauthenticated requests are refused', async () => {
        const body = multipart([{ field: 'file', filename: 'x.png', data: PNG }]);
        const response = await request(service.url, '/v1/files', { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }, body });
        assert.equal(response.status, 401);
        assert.equal((await request(service.url, '/v1/files')).status, 401);
      });
    });

    describe('Security: refused content', () => {
      test('an ELF executable renamed .png is refused (415)', async () => {
        const problem = await refused(alice, () => upload(alice, 'cat.png', ELF, 'image/png'), 415, 'unsupported-file-type');
        assert.deepEqual(problem.accepted, ['png', 'jpg', 'gif', 'webp', 'pdf']);
      });

      test('a Windows (MZ) executable renamed .png is refused (415)', async () => {
        await refused(alice, () => upload(alice, 'cat.png', MZ, 'image/png'), 415, 'unsupported-file-type');
      });

      test('SVG with script is refused, whatever it is called (415)', async () => {
        for (const [name, data] of [['x.svg', SVG], ['x.png', SVG], ['y.svg', SVG_BARE]] as const) {
          await refused(alice, () => upload(alice, name, data, 'image/svg+xml'), 415, 'unsupported-file-type');
        }
      });

      test('HTML is refused, whatever it is called (415)', async () => {
        for (const name of ['page.html', 'page.png', 'page']) {
          await refused(alice, () => upload(alice, name, HTML, 'image/png'), 415, 'unsupported-file-type');
        }
      });

      test('a name whose extension disagrees with the content is refused (422)', async () => {
        const problem = await refused(alice, () => upload(alice, 'real-png.pdf', PNG, 'application/pdf'), 422, 'extension-mismatch');
        assert.deepEqual(problem.expectedExtensions, ['png']);
        await refused(alice, () => upload(alice, 'no-extension', PNG), 422, 'extension-mismatch');
        await refused(alice, () => upload(alice, 'photo.png.html', PNG), 422, 'extension-mismatch');
      });

      test('the EICAR string is refused as malware, naming the signature (422)', async () => {
        const problem = await refused(alice, () => upload(alice, 'eicar.com', EICAR), 422, 'malware-detected');
        assert.equal(problem.signature, 'Eicar-Test-Signature');
        assert.match(String(problem.detail), /Eicar-Test-Signature/);
        // Malware is malware even inside an allowed type.
        await refused(alice, () => upload(alice, 'innocent.png', Buffer.concat([PNG, EICAR])), 422, 'malware-detected');
      });

      test('each malware refusal is a security event with hash, size and type, never the name or content', async () => {
        const mallory = await user('mallory', 'user');
        const data = Buffer.concat([PNG, EICAR]);
        await refused(mallory, () => upload(mallory, '<script>evil</script>.png', data), 422, 'malware-detected');
        await refused(mallory, () => upload(mallory, 'eicar.com', EICAR), 422, 'malware-detected');
        // Read back from the stored trail (newest first), as GET /v1/admin/events does.
        const events = await service.identity.events.list({ type: 'upload_malware_rejected', principalId: mallory.id });
        assert.equal(events.length, 2);
        const [plain, inPng] = events;
        assert.equal(inPng!.clientIp, '127.0.0.1');
        assert.deepEqual(inPng!.detail, { signature: 'Eicar-Test-Signature', sha256: createHash('sha256').update(data).digest('hex'), size: data.length, detectedType: 'image/png' });
        assert.deepEqual(plain!.detail, { signature: 'Eicar-Test-Signature', sha256: createHash('sha256').update(EICAR).digest('hex'), size: EICAR.length });
        for (const event of events) assert.ok(!/script|eicar\.com|EICAR-STANDARD/.test(JSON.stringify(event)), JSON.stringify(event));
      });

      test('a polyglot (valid PNG + script) is stored only as an image/png attachment in a sandbox', async () => {
        const file = await uploaded(alice, 'poly.png', POLYGLOT);
        assert.equal(file.mediaType, 'image/png');
        const response = await download(service.url, `/v1/files/${file.id}`, alice.token);
        assert.equal(response.status, 200);
        assert.ok(response.body.equals(POLYGLOT));
        assert.equal(response.headers['content-type'], 'image/png');
        assert.match(String(response.headers['content-disposition']), /^attachment; /);
        assert.equal(response.headers['x-content-type-options'], 'nosniff');
        assert.match(String(response.headers['content-security-policy']), /(^|; )sandbox($|;)/);
      });

      test('a path-traversal name is stored safely, the name kept only as sanitized metadata', async () => {
        const file = await uploaded(alice, '../../etc/passwd.png', PNG);
        assert.equal(file.name, 'passwd.png');
        assert.ok(!existsSync(join(storageDir, '../../etc/passwd.png')));
        assert.ok(!existsSync(join(storageDir, 'passwd.png')));
        assert.ok(!readdirSync(service.config.dataDir).includes('passwd.png'));
        const [row] = await db.selectFrom('files').select(['name', 'storage_name']).where('id', '=', file.id).execute();
        assert.equal(row!.name, 'passwd.png');
        assert.match(row!.storage_name, UUID);
        const windows = await uploaded(alice, '..\\..\\windows\\win.ini\u202egnp.png', PNG);
        assert.equal(windows.name, 'win.inignp.png');
      });

      test('a file one byte over the limit is refused (413); one at the limit is accepted', async () => {
        const header = PNG.subarray(0, 33);
        const atLimit = Buffer.concat([header, Buffer.alloc(5 * MiB - header.length)]);
        const problem = await refused(bob, () => upload(bob, 'big.png', Buffer.concat([atLimit, Buffer.from([0])])), 413, 'upload-too-large');
        assert.equal(problem.maxBytes, 5 * MiB);
        const file = await uploaded(bob, 'limit.png', atLimit);
        assert.equal(file.size, 5 * MiB);
        assert.equal((await service.app.inject({ method: 'DELETE', url: `/v1/files/${file.id}`, headers: { ...bearer(bob.token), host: 'localhost' } })).statusCode, 204);
      });
    });

    describe('Security: malformed multipart', () => {
      test('no file part', async () => {
        await refused(alice, () => send(alice, Buffer.from(`--${BOUNDARY}--\r\n`)), 400, 'file-missing');
      });

      test('a text field instead of, or besides, the file', async () => {
        await refused(alice, () => send(alice, multipart([{ field: 'note', data: 'hello' }])), 400, 'unexpected-field');
        await refused(alice, () => send(alice, multipart([{ field: 'note', data: 'hello' }, { field: 'file', filename: 'a.png', data: PNG }])), 400, 'unexpected-field');
        await refused(alice, () => send(alice, multipart([{ field: 'file', filename: 'a.png', data: PNG }, { field: 'note', data: 'hello' }])), 400, 'unexpected-field');
      });

      test('the file under any field name but `file` (as the OpenAPI document says) is refused, naming the field', async () => {
        for (const field of ['upload', 'File', 'files', 'file[]', 'file ', 'attachment', '']) {
          const problem = await refused(alice, () => send(alice, multipart([{ field, filename: 'a.png', type: 'image/png', data: PNG }])), 400, 'wrong-file-field');
          assert.equal(problem.detail, 'Send the file in the form field named "file" (Content-Disposition: form-data; name="file").', field);
        }
        const documented = (await request(service.url, '/openapi.json')).json() as { paths: Record<string, Record<string, { requestBody: { content: Record<string, { schema: { required: string[] } }> } }>> };
        assert.deepEqual(documented.paths['/v1/files']!.post!.requestBody.content['multipart/form-data']!.schema.required, ['file']);
        assert.equal((await upload(alice, 'a.png', PNG)).status, 201, 'the documented field still works');
      });

      test('two file parts', async () => {
        const body = multipart([{ field: 'file', filename: 'a.png', data: PNG }, { field: 'file', filename: 'b.png', data: PNG }]);
        await refused(alice, () => send(alice, body), 400, 'one-file-only');
      });

      test('a body that is not multipart', async () => {
        for (const type of ['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'image/png']) {
          const response = await send(alice, Buffer.from(type === 'image/png' ? PNG : '{"file":"x"}'), type);
          assert.equal(response.status, 415, type);
          assert.equal(response.headers['content-type'], 'application/problem+json');
        }
        const empty = await request(service.url, '/v1/files', { method: 'POST', headers: bearer(alice.token) });
        assert.equal(empty.status, 415);
      });

      test('multipart without a boundary, cut short, or with a polluting field name', async () => {
        await refused(alice, () => send(alice, multipart([{ field: 'file', filename: 'a.png', data: PNG }]), 'multipart/form-data'), 400, 'malformed-multipart');
        const whole = multipart([{ field: 'file', filename: 'a.png', data: PNG }]);
        await refused(alice, () => send(alice, whole.subarray(0, whole.length - 30)), 400, 'malformed-multipart');
        await refused(alice, () => send(alice, multipart([{ field: '__proto__', filename: 'a.png', data: PNG }])), 400, 'malformed-multipart');
      });

      test('a file part without a file name gets the fallback name, which no type matches', async () => {
        await refused(alice, () => send(alice, multipart([{ field: 'file', type: 'application/octet-stream', data: PNG }])), 422, 'extension-mismatch');
        await refused(alice, () => upload(alice, '', Buffer.alloc(0)), 400, 'empty-file');
      });

      test('other routes do not accept multipart bodies', async () => {
        const response = await request(service.url, '/v1/orders', { method: 'POST', headers: { ...bearer(alice.token), 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }, body: multipart([{ field: 'file', filename: 'a.png', data: PNG }]) });
        assert.equal(response.status, 415);
      });
    });

    describe('Security: ownership', () => {
      test('another user\'s file answers exactly like a missing one, on every route', async () => {
        const file = await uploaded(alice, 'private.png', PNG);
        const missing = '00000000-0000-4000-8000-000000000000';
        for (const suffix of ['', '/meta']) {
          const theirs = await get(bob, `/v1/files/${file.id}${suffix}`);
          const none = await get(bob, `/v1/files/${missing}${suffix}`);
          assert.equal(theirs.status, 404);
          assert.equal(theirs.body, none.body);
          assert.equal(theirs.headers['content-type'], 'application/problem+json');
        }
        const del = await request(service.url, `/v1/files/${file.id}`, { method: 'DELETE', headers: bearer(bob.token) });
        assert.equal(del.status, 404);
        assert.equal((await download(service.url, `/v1/files/${file.id}`, alice.token)).status, 200, 'still there for its owner');
        const list = (await get(bob, '/v1/files?limit=100')).json() as { items: FileMeta[] };
        assert.ok(!list.items.some((f) => f.id === file.id));
        assert.equal((await get(bob, '/v1/files/not-a-uuid')).status, 404);
      });

      test('delete removes the row and the bytes; the id is then gone', async () => {
        const file = await uploaded(alice, 'doomed.png', PNG);
        const [row] = await db.selectFrom('files').select('storage_name').where('id', '=', file.id).execute();
        assert.ok(existsSync(join(storageDir, row!.storage_name)));
        const response = await request(service.url, `/v1/files/${file.id}`, { method: 'DELETE', headers: bearer(alice.token) });
        assert.equal(response.status, 204);
        assert.equal(response.body, '');
        assert.ok(!existsSync(join(storageDir, row!.storage_name)));
        assert.equal((await db.selectFrom('files').select('id').where('id', '=', file.id).execute()).length, 0);
        assert.equal((await get(alice, `/v1/files/${file.id}`)).status, 404);
        assert.equal((await request(service.url, `/v1/files/${file.id}`, { method: 'DELETE', headers: bearer(alice.token) })).status, 404);
      });
    });

    describe('quota', () => {
      test('past the byte quota the upload is refused (409) and nothing is stored; deleting makes room', async () => {
        const dave = await user('dave', 'user');
        const header = PNG.subarray(0, 33);
        const big = (size: number) => Buffer.concat([header, Buffer.alloc(size - header.length, 1)]);
        const first = await uploaded(dave, 'a.png', big(5 * MiB));
        await uploaded(dave, 'b.png', big(5 * MiB));
        const problem = await refused(dave, () => upload(dave, 'c.png', big(2 * MiB + 1)), 409, 'file-quota-exceeded');
        assert.equal(problem.status, 409);
        await uploaded(dave, 'fits.png', big(2 * MiB)); // exactly the quota
        await refused(dave, () => upload(dave, 'd.png', PNG), 409, 'file-quota-exceeded');
        assert.equal((await request(service.url, `/v1/files/${first.id}`, { method: 'DELETE', headers: bearer(dave.token) })).status, 204);
        await uploaded(dave, 'e.png', PNG);
        const events = await service.identity.events.list({ type: 'quota_exceeded', principalId: dave.id });
        assert.ok(events.length >= 1);
      });

      test('concurrent uploads cannot together exceed the quota', async () => {
        const gina = await user('gina', 'user');
        const header = PNG.subarray(0, 33);
        const sized = (size: number) => Buffer.concat([header, Buffer.alloc(size - header.length, 2)]);
        await uploaded(gina, 'a.png', sized(5 * MiB));
        await uploaded(gina, 'b.png', sized(5 * MiB));
        await uploaded(gina, 'c.png', sized(1.5 * MiB));
        const results = await Promise.all([0, 1, 2, 3].map((i) => upload(gina, `race-${i}.png`, sized(0.4 * MiB))));
        assert.deepEqual(results.map((r) => r.status).sort(), [201, 409, 409, 409]);
        const rows = await rowsOf(gina);
        assert.equal(rows.length, 4);
        assert.ok(rows.reduce((sum, row) => sum + row.size, 0) <= 12 * MiB);
      });

      test('past the count quota the upload is refused (409)', async () => {
        const erin = await user('erin', 'user');
        for (let i = 0; i < 40; i++) await uploaded(erin, `${i}.png`, PNG);
        await refused(erin, () => upload(erin, 'one-more.png', PNG), 409, 'file-quota-exceeded');
      });
    });

    if (backend === 'sqlite') {
      test('Security: a client that disconnects mid-upload leaves no temporary file', async () => {
        const before = onDisk();
        const socket = connect(Number(new URL(service.url).port), '127.0.0.1');
        socket.on('error', () => undefined);
        const head = `--${BOUNDARY}\r\ncontent-disposition: form-data; name="file"; filename="gone.png"\r\n\r\n`;
        socket.write(`POST /v1/files HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${bob.token}\r\ncontent-type: multipart/form-data; boundary=${BOUNDARY}\r\ncontent-length: ${10 * MiB}\r\n\r\n${head}`);
        socket.write(Buffer.concat([PNG.subarray(0, 33), Buffer.alloc(256 * 1024)]));
        // Wait until the server is writing the temporary file, then vanish.
        await until(() => onDisk().some((name) => name.endsWith('.part')));
        socket.destroy();
        await until(() => onDisk().length === before.length);
        assert.deepEqual(onDisk(), before);
      });

      test('Security: a 50 MiB stream gets 413 while memory stays bounded, and nothing remains', async () => {
        const before = onDisk();
        collectGarbage();
        const baseline = process.memoryUsage();
        let peakHeap = baseline.heapUsed;
        let peakBuffers = baseline.arrayBuffers;
        let peakRss = baseline.rss;
        const sampler = setInterval(() => {
          const now = process.memoryUsage();
          peakHeap = Math.max(peakHeap, now.heapUsed);
          peakBuffers = Math.max(peakBuffers, now.arrayBuffers);
          peakRss = Math.max(peakRss, now.rss);
        }, 2);
        const total = 50 * MiB;
        const result = await streamUpload(service.url, bob.token, total);
        clearInterval(sampler);
        assert.equal(result.status, 413, result.body);
        assert.match(result.body, /upload-too-large/);
        assert.deepEqual(onDisk(), before, 'no stored or temporary file remains');
        const growth = { heap: (peakHeap - baseline.heapUsed) / MiB, buffers: (peakBuffers - baseline.arrayBuffers) / MiB, rss: (peakRss - baseline.rss) / MiB };
        console.log(`50 MiB upload stream: peak growth heap ${growth.heap.toFixed(1)} MiB, array buffers ${growth.buffers.toFixed(1)} MiB, rss ${growth.rss.toFixed(1)} MiB; client sent ${(result.sent / MiB).toFixed(1)} MiB before the answer`);
        // Client and server share this process, so this bounds both together. Measured here:
        // the sending client plus a server that discards every byte already grows array
        // buffers by about 6 MiB (socket buffers); holding the body would add 50 MiB.
        assert.ok(growth.heap + growth.buffers < 12, `memory grew by ${(growth.heap + growth.buffers).toFixed(1)} MiB`);
      });
    }
  });
}

/** Polls a condition (file-system effects of another party), failing after 10 s. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail('condition not reached in 10 s');
}

/**
 * Streams a multipart upload of `total` bytes (a PNG header then zeros) without holding it,
 * resolving with the answer; the server may answer before the client has finished sending.
 */
function streamUpload(url: string, token: string, total: number): Promise<{ status: number; body: string; sent: number }> {
  const chunk = Buffer.alloc(64 * 1024);
  let sent = 0;
  function* body(): Generator<Buffer> {
    yield Buffer.from(`--${BOUNDARY}\r\ncontent-disposition: form-data; name="file"; filename="huge.png"\r\ncontent-type: image/png\r\n\r\n`);
    yield PNG.subarray(0, 33);
    while (sent < total) {
      sent += chunk.length;
      yield chunk;
    }
    yield Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
  }
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest(`${url}/v1/files`, { method: 'POST', agent: false, headers: { ...bearer(token), 'content-type': `multipart/form-data; boundary=${BOUNDARY}` } }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), sent }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), sent }));
    });
    // Once answered, the server may close while we are still sending: that is expected.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    Readable.from(body()).on('error', () => undefined).pipe(req);
  });
}

describe('files: startup after a crash mid-upload', () => {
  test('removes temporary files older than an hour, and only those', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'rampart-crashed-'));
    const storage = join(dataDir, 'files');
    mkdirSync(storage, { mode: 0o700 });
    const staleTemp = join(storage, '.upload-0b6c4a5e-8f1d-4c2e-9a7b-3d5e6f708192.part');
    const freshTemp = join(storage, '.upload-1b6c4a5e-8f1d-4c2e-9a7b-3d5e6f708192.part');
    const stored = join(storage, '2b6c4a5e-8f1d-4c2e-9a7b-3d5e6f708192');
    for (const path of [staleTemp, freshTemp, stored]) writeFileSync(path, PNG);
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    // The stored file is as old as the stale temporary one: age alone never removes a file.
    for (const path of [staleTemp, stored]) utimesSync(path, twoHoursAgo, twoHoursAgo);
    let service: RunningService | undefined;
    try {
      service = await startReferenceService({ ...ENV, RAMPART_DATA_DIR: dataDir });
      assert.equal(service.config.dataDir, dataDir);
      assert.equal(existsSync(staleTemp), false);
      assert.equal(existsSync(freshTemp), true);
      assert.ok(readFileSync(stored).equals(PNG));
    } finally {
      await service?.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('files with clamd (fake clamd on a unix socket)', () => {
  let service: RunningService;
  let clamd: FakeClamd;
  let user: User;
  before(async () => {
    clamd = await startFakeClamd({ 'Win.Test.EICAR_HDB-1': EICAR });
    service = await startReferenceService({ ...ENV, RAMPART_CLAMD_SOCKET: clamd.socketPath });
    const { id } = await service.identity.createUser({ username: 'frank', password: STRONG_PASSWORD, role: 'user' }, OPERATOR);
    user = { id, token: (await login(service.url, 'frank')).access_token };
  });
  after(() => closeAll(service, clamd));
  const upload = (data: Buffer, name: string): Promise<Response> =>
    request(service.url, '/v1/files', { method: 'POST', headers: { ...bearer(user.token), 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }, body: multipart([{ field: 'file', filename: name, data }]) });
  const stored = (): string[] => readdirSync(join(service.config.dataDir, 'files'));

  test('a clean file is scanned by clamd and stored', async () => {
    clamd.mode = 'scan';
    clamd.received.length = 0;
    const response = await upload(PNG, 'ok.png');
    assert.equal(response.status, 201, response.body);
    assert.equal(clamd.received.length, 1);
    assert.ok(clamd.received[0]!.data.equals(PNG));
  });

  test('clamd\'s FOUND refuses the file (422) with clamd\'s signature name', async () => {
    clamd.mode = 'scan';
    const before = stored();
    const response = await upload(Buffer.concat([PNG, EICAR]), 'bad.png');
    assert.equal(response.status, 422);
    assert.equal((response.json() as { signature: string }).signature, 'Win.Test.EICAR_HDB-1');
    assert.deepEqual(stored(), before);
  });

  test('a clamd error or silence fails closed: 503 with Retry-After, nothing stored', async () => {
    for (const mode of ['error', 'hang-up'] as const) {
      clamd.mode = mode;
      const before = stored();
      const response = await upload(PNG, 'later.png');
      assert.equal(response.status, 503, mode);
      assert.equal(response.headers['retry-after'], '30');
      assert.equal((response.json() as { type: string }).type, 'tag:rampart.dev,2026:problem:scanner-unavailable');
      assert.deepEqual(stored(), before);
    }
    assert.equal((await service.database.db.selectFrom('files' as never).selectAll().execute()).length, 1);
  });
});
