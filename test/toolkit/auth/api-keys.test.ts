// API key text: format, checksum (typos rejected before any lookup), the scanner pattern,
// and the query-string guard.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import {
  API_KEY_ID_PATTERN,
  API_KEY_PATTERN,
  API_KEY_SEARCH_PATTERN,
  createApiKeys,
  generateApiKey,
  hasApiKeyInQuery,
  parseApiKey,
  redactKeysInQuery,
} from '../../../src/toolkit/auth/api-keys/index.ts';
import type { IdentityTables } from '../../../src/toolkit/auth/schema.ts';
import type { SecurityEvents } from '../../../src/toolkit/index.ts';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const other = (c: string): string => ALPHABET[(ALPHABET.indexOf(c) + 1) % 62]!;
const replaceAt = (text: string, i: number, c: string): string => text.slice(0, i) + c + text.slice(i + 1);

describe('API key format', () => {
  test('rmp_ + 12-character id + _ + 49 base62 characters (secret and checksum), 66 in all', () => {
    const { id, key } = generateApiKey();
    assert.equal(key.length, 66);
    assert.match(key, API_KEY_PATTERN);
    assert.ok(key.startsWith(`rmp_${id}_`));
    assert.match(id, API_KEY_ID_PATTERN);
    assert.deepEqual(parseApiKey(key), { id });
  });

  test('ids and secrets do not repeat', () => {
    const keys = Array.from({ length: 2000 }, () => generateApiKey());
    assert.equal(new Set(keys.map((k) => k.id)).size, keys.length);
    assert.equal(new Set(keys.map((k) => k.key.slice(17, 60))).size, keys.length);
  });

  test('the secret uses the whole alphabet (no bias toward a few characters)', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 400; i++) for (const c of generateApiKey().key.slice(17, 60)) counts.set(c, (counts.get(c) ?? 0) + 1);
    assert.equal(counts.size, 62);
    // 17,200 characters: ~277 each; a biased generator would be far off.
    for (const [c, n] of counts) assert.ok(n > 180 && n < 380, `${c}: ${n}`);
  });
});

describe('Security: the checksum rejects typos without a lookup', () => {
  const { key } = generateApiKey();

  test('every single-character change anywhere after the prefix is rejected', () => {
    for (let i = 4; i < key.length; i++) {
      if (key[i] === '_') continue;
      assert.equal(parseApiKey(replaceAt(key, i, other(key[i]!))), undefined, `position ${i}`);
    }
  });

  test('every adjacent transposition is rejected', () => {
    for (let i = 4; i < key.length - 1; i++) {
      if (key[i] === key[i + 1] || key[i] === '_' || key[i + 1] === '_') continue;
      const swapped = key.slice(0, i) + key[i + 1]! + key[i]! + key.slice(i + 2);
      assert.equal(parseApiKey(swapped), undefined, `positions ${i}, ${i + 1}`);
    }
  });

  test('wrong length, prefix, separator, alphabet or surrounding space is rejected', () => {
    for (const bad of [key.slice(0, -1), `${key}0`, `rmq_${key.slice(4)}`, `RMP_${key.slice(4)}`, replaceAt(key, 16, '-'), replaceAt(key, 30, '+'), ` ${key}`, `${key} `, `${key}\n`, '', 'rmp_']) {
      assert.equal(parseApiKey(bad), undefined, JSON.stringify(bad));
    }
  });

  test('a bad checksum is refused without touching the database', async () => {
    const touched = { count: 0 };
    const trap: unknown = new Proxy({}, {
      get() {
        touched.count++;
        throw new Error('the database was touched');
      },
    });
    const events: SecurityEvents = { record: () => Promise.resolve(), list: () => Promise.resolve([]), prune: () => Promise.resolve(0) };
    const keys = createApiKeys({ db: trap as Kysely<IdentityTables>, rootSecret: Buffer.alloc(32, 7), events, logger: pino({ level: 'silent' }) });
    const { key } = generateApiKey();
    const typo = replaceAt(key, 40, other(key[40]!));
    for (const bad of [typo, replaceAt(key, 65, other(key[65]!)), 'rmp_not-a-key', 'x'.repeat(66)]) assert.equal(await keys.verify(bad, '127.0.0.1'), undefined);
    assert.equal(touched.count, 0);
    // The control: a well-formed key with a valid checksum does reach the database.
    await assert.rejects(keys.verify(key, '127.0.0.1'), /the database was touched/);
    assert.notEqual(touched.count, 0);
  });
});

describe('the scanner pattern', () => {
  test('finds a key inside text and does not match shorter or longer runs', () => {
    const { key } = generateApiKey();
    assert.match(`Authorization: ApiKey ${key}\n`, API_KEY_SEARCH_PATTERN);
    assert.match(`{"k":"${key}"}`, API_KEY_SEARCH_PATTERN);
    assert.doesNotMatch(`${key}x`, API_KEY_SEARCH_PATTERN);
    assert.doesNotMatch(key.slice(0, -1), API_KEY_SEARCH_PATTERN);
  });
});

describe('Security: the query-string guard', () => {
  const { key } = generateApiKey();

  test('refuses key-named parameters in any case or spelling, with or without a value', () => {
    for (const name of ['api_key', 'apikey', 'api-key', 'x-api-key', 'X-API-Key', 'API_KEY', 'ApiKey', 'x_api_key', 'api%5Fkey', 'api.key', 'api_key[]']) {
      assert.equal(hasApiKeyInQuery(`/v1/orders?${name}=whatever`), true, name);
      assert.equal(hasApiKeyInQuery(`/v1/orders?page=2&${name}`), true, `${name} without a value`);
    }
  });

  test('refuses a key-shaped value under any name, encoded or not', () => {
    assert.equal(hasApiKeyInQuery(`/v1/orders?q=${key}`), true);
    assert.equal(hasApiKeyInQuery(`/v1/orders?next=${encodeURIComponent(`https://example.com/?k=${key}`)}`), true);
    assert.equal(hasApiKeyInQuery(`/v1/orders?q=${key.replaceAll('_', '%5F')}`), true);
    assert.equal(hasApiKeyInQuery(`/v1/orders?${key}`), true);
    assert.equal(hasApiKeyInQuery(`/v1/orders?bad=%E0%A4%A&q=${key}`), true, 'a malformed escape elsewhere does not hide it');
  });

  test('lets ordinary queries through', () => {
    for (const url of ['/v1/orders', '/v1/orders?', '/v1/orders?page=2&sort=-created', '/v1/orders?key=value', '/v1/orders?monkey=1', '/v1/orders?q=rmp_short', '/v1/orders?q=%E0%A4%A']) {
      assert.equal(hasApiKeyInQuery(url), false, url);
    }
  });

  test('the logged URL keeps everything but the key', () => {
    assert.equal(redactKeysInQuery(`/v1/orders?page=2&q=${key}&sort=id`), '/v1/orders?page=2&q=[redacted]&sort=id');
    assert.equal(redactKeysInQuery(`/v1/orders?${key}&page=2`), '/v1/orders?[redacted]&page=2');
    assert.equal(redactKeysInQuery(`/v1/orders?q=${key.replaceAll('_', '%5F')}`), '/v1/orders?q=[redacted]');
    assert.equal(redactKeysInQuery('/v1/orders'), '/v1/orders');
  });
});
