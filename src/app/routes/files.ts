// The caller's own files: upload, list, read metadata, download, delete. Uploads go through
// the toolkit's checks (size while streaming, malware scan, type by magic bytes, extension,
// sanitized name); multipart parsing exists only on the upload route. Downloads are always
// attachments of the detected type, with nosniff and a sandboxing CSP, so even a polyglot
// (a valid PNG with HTML appended) is never rendered as a page in our origin. Another user's
// file, a missing one and a malformed id are the same 404.
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  contentDisposition,
  createClamdScanner,
  createSignatureScanner,
  createUploads,
  DEFAULT_ALLOWED_TYPES,
  DEFAULT_SIGNATURE_FILE,
  HttpProblem,
  RESOURCE_NOT_FOUND,
  Type,
  type Database,
  type Identity,
  type RampartConfig,
  type RampartServer,
} from '../../toolkit/index.ts';
import { decodeCursor, encodeCursor } from '../catalog/cursor.ts';
import { createFiles, filePosition } from '../files/store.ts';

// The response allowlist: the owner and the name on disk never leave the server.
const FileMeta = Type.Object(
  { id: Type.String(), name: Type.String(), mediaType: Type.String(), size: Type.Integer(), sha256: Type.String(), createdAt: Type.String() },
  { additionalProperties: false },
);
const FilePage = Type.Object({ items: Type.Array(FileMeta), next: Type.Union([Type.String(), Type.Null()]) }, { additionalProperties: false });
const ListQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })), cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) }, { additionalProperties: false });
const Binary = Type.String({ format: 'binary' });
const Download = {
  description: 'The file, as an attachment of its detected type',
  content: Object.fromEntries(Object.values(DEFAULT_ALLOWED_TYPES).map((t) => [t.mediaType, { schema: Binary }])),
};

const READ = { scopes: ['files:read'], rateLimit: { name: 'files', limit: 300, windowSeconds: 60 } };
const WRITE = { scopes: ['files:write'], rateLimit: { name: 'files-write', limit: 60, windowSeconds: 60 } };
const OWNED = { owner: { param: 'id' } };

/**
 * What a download may do once it reaches a browser: nothing. `sandbox` gives a document a
 * unique opaque origin with scripts, forms and plugins off; the rest is the API default.
 */
export const DOWNLOAD_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox";

// 409, not 413: the request itself is within every limit; it conflicts with what the account
// already stores, and the client can resolve that (delete files) and send the same request.
const QUOTA_EXCEEDED = new HttpProblem(409, { slug: 'file-quota-exceeded', title: 'File quota exceeded', detail: 'Storing this file would exceed your file quota. Delete files to make room.' });

function owned(request: FastifyRequest): { id: string; ownerId: string } {
  const { resourceId, ownerId } = request.owner!;
  if (ownerId === null) throw RESOURCE_NOT_FOUND;
  return { id: resourceId, ownerId };
}

const meta = (file: { id: string; name: string; mediaType: string; size: number; sha256: string; createdAt: string }) => ({
  id: file.id,
  name: file.name,
  mediaType: file.mediaType,
  size: file.size,
  sha256: file.sha256,
  createdAt: file.createdAt,
});

export async function fileRoutes(app: RampartServer, database: Database<unknown>, config: RampartConfig, identity: Identity): Promise<void> {
  const settings = config.uploads;
  const scanner = settings.clamdSocket === undefined ? createSignatureScanner(DEFAULT_SIGNATURE_FILE) : createClamdScanner({ socketPath: settings.clamdSocket });
  const uploads = createUploads({
    dir: join(config.dataDir, 'files'),
    maxBytes: settings.maxBytes,
    scanner,
    // Someone sent malware: a security event (never the file's name or content), not only a log line.
    onMalware: (request, finding) =>
      identity.events.record({ type: 'upload_malware_rejected', principalId: request.principal?.id ?? null, clientIp: request.client.ip, detail: { ...finding } }),
  });
  const files = createFiles(database.db, uploads.storage, { bytes: settings.quotaBytes, count: settings.quotaCount });

  // Multipart parsing is installed in this scope only, for this one route.
  await app.register(async (scope) => {
    await uploads.register(scope);
    scope.post('/v1/files', {
      policy: WRITE,
      // `upload` only documents the multipart body; it is streamed, never parsed by a schema.
      schema: { upload: { field: 'file', description: 'The file (one part); its type is detected from its bytes.' }, response: { 201: FileMeta } },
      handler: async (request, reply) => {
        const ownerId = request.principal.id;
        const upload = await uploads.receive(request);
        const file = await files.create(ownerId, upload);
        if (file === 'quota-exceeded') {
          await identity.events.record({ type: 'quota_exceeded', principalId: ownerId, clientIp: request.client.ip, detail: { quota: 'files' } });
          throw QUOTA_EXCEEDED;
        }
        return reply.code(201).header('location', `/v1/files/${file.id}`).send(meta(file));
      },
    });
  });

  app.get('/v1/files', {
    policy: READ,
    schema: { querystring: ListQuery, response: { 200: FilePage } },
    handler: async (request) => {
      const { limit = 20, cursor } = request.query;
      const page = await files.list(request.principal.id, limit, cursor === undefined ? undefined : decodeCursor(cursor, 'number'));
      const last = page.items[page.items.length - 1];
      return { items: page.items.map(meta), next: page.more && last !== undefined ? encodeCursor(filePosition(last)) : null };
    },
  });

  app.get('/v1/files/:id/meta', {
    policy: { ...READ, ...OWNED },
    schema: { params: IdParams, response: { 200: FileMeta } },
    handler: async (request) => {
      const { id, ownerId } = owned(request);
      const file = await files.byId(id, ownerId);
      if (file === undefined) throw RESOURCE_NOT_FOUND;
      return meta(file);
    },
  });

  app.get('/v1/files/:id', {
    policy: { ...READ, ...OWNED },
    schema: { params: IdParams, response: { 200: Download } },
    handler: async (request, reply) => {
      const { id, ownerId } = owned(request);
      const file = await files.byId(id, ownerId);
      if (file === undefined) throw RESOURCE_NOT_FOUND;
      // Opened before any header is set: a missing file on disk is a logged 500, not a
      // 200 with a truncated body.
      const handle = await open(uploads.storage.pathOf(file.storageName), 'r');
      return (reply as unknown as FastifyReply)
        .header('content-type', file.mediaType)
        .header('content-length', String(file.size))
        .header('content-disposition', contentDisposition(file.name))
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', DOWNLOAD_CSP)
        .header('cache-control', 'private, no-store')
        .send(handle.createReadStream());
    },
  });

  app.delete('/v1/files/:id', {
    policy: { ...WRITE, ...OWNED },
    schema: { params: IdParams, response: { 204: Type.Null() } },
    handler: async (request, reply) => {
      const { id, ownerId } = owned(request);
      if (!(await files.remove(id, ownerId))) throw RESOURCE_NOT_FOUND;
      return reply.code(204).send();
    },
  });
}
