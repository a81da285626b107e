// Excessive data exposure (API3, property level): answers to an ordinary identity that carry
// password hashes, secrets and tokens, or other people's personal fields. Judged by field names
// and by value shapes (argon2/bcrypt/scrypt strings, JWTs, key formats), never by a name alone.
import type { Check, CheckContext } from '../check.ts';
import { Grouped } from '../check.ts';
import type { AuditIdentity } from '../identities/identity.ts';
import { exchange, masked } from '../lib/evidence.ts';
import { parseJson } from '../lib/links.ts';
import { ok, users } from '../lib/owned.ts';
import type { Operation } from '../spec/load.ts';
import { isObject } from '../spec/refs.ts';
import type { Json } from '../spec/refs.ts';

const MAX_OPERATIONS = 40;

/** Password hash formats: bcrypt, argon2, scrypt, PBKDF2 (passlib/Django), sha-crypt. */
export const HASH_SHAPE =
  /^(?:\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}|\$argon2(?:id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+|\$scrypt\$\S+|\$7\$\S{20,}|(?:pbkdf2_sha\d+|\$pbkdf2(?:-sha\d+)?)\$\S+|\$[56]\$(?:rounds=\d+\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{43,86})$/;
const JWT_SHAPE = /^eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*$/;
const KEY_SHAPE =
  /^(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|xox[abpr]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}|-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*)$/;
const SECRET_NAME = /(?:passw(?:or)?d|pwd|hash|secret|token|api_?key|apikey|private_?key|access_?key|credential|otp_?seed|totp)/i;
/** A long random-looking value: letters and digits mixed, 24+ characters. */
const RANDOM_SHAPE = /^(?=[A-Za-z0-9_\-+/=.]{24,}$)(?=.*\d)(?=.*[a-z])(?=.*[A-Z])/;
const PERSONAL = /^(?:e_?mail|email_?address|phone|phone_?number|mobile|ssn|social_?security|date_?of_?birth|dob|birth_?date|birthday|address|street|iban|card_?number)$/i;
const PERSON_KEY = /^(?:username|user_?name|user|handle|login|full_?name|first_?name|last_?name|display_?name|name)$/i;

/** Keys that hold a password itself (not its hash, policy or reset token). */
const PASSWORD_KEY = /^(?:pass|password|passwd|pwd|passphrase|user_?pass(?:word)?|plain_?(?:text_?)?password)$/i;
/** Values a password field may hold without being one: a mask, or a digest in hex or a `{SCHEME}` prefix. */
const NOT_PLAINTEXT = /^(?:[*•x.]+|[a-f0-9]{32}|[a-f0-9]{40}|[a-f0-9]{64}|[a-f0-9]{128}|\{[A-Z0-9-]+\}\S+)$/i;

export interface Exposure {
  kind: 'password-hash' | 'plaintext-password' | 'secret' | 'personal-data';
  field: string;
  value: string;
}

/** Secrets and hashes in a JSON value: fields whose name and value shape both say so. */
export function findSecrets(json: Json, ownSecrets: readonly string[] = [], depth = 0, out: Exposure[] = []): Exposure[] {
  if (depth > 6 || out.length > 20) return out;
  if (Array.isArray(json)) {
    for (const item of json.slice(0, 50)) findSecrets(item, ownSecrets, depth + 1, out);
  } else if (isObject(json)) {
    // A password field counts only in an account's record (`{"password": "required"}` is a validation message).
    const account = Object.keys(json).some((k) => PERSON_KEY.test(k) || /^e_?mail$/i.test(k));
    for (const [key, value] of Object.entries(json)) {
      if (typeof value === 'string') {
        if (HASH_SHAPE.test(value)) out.push({ kind: 'password-hash', field: key, value });
        else if (account && PASSWORD_KEY.test(key) && value !== '' && !NOT_PLAINTEXT.test(value)) out.push({ kind: 'plaintext-password', field: key, value });
        else if (SECRET_NAME.test(key) && !ownSecrets.includes(value) && (JWT_SHAPE.test(value) || KEY_SHAPE.test(value) || RANDOM_SHAPE.test(value))) {
          out.push({ kind: 'secret', field: key, value });
        } else if (KEY_SHAPE.test(value) && !ownSecrets.includes(value)) out.push({ kind: 'secret', field: key, value });
      } else {
        findSecrets(value, ownSecrets, depth + 1, out);
      }
    }
  }
  return out;
}

/** Personal fields of several people: a list of person records with distinct personal values. */
export function findOthersPersonalData(json: Json, depth = 0): Exposure | undefined {
  if (depth > 4) return undefined;
  const lists: Json[][] = Array.isArray(json) ? [json] : isObject(json) ? Object.values(json).filter((v): v is Json[] => Array.isArray(v)) : [];
  const isPerson = (r: Json): r is Record<string, Json> => isObject(r) && Object.keys(r).some((k) => PERSON_KEY.test(k));
  for (const list of lists) {
    // The people themselves, or the people an item names (a review's author, an order's customer).
    const items = list.filter(isObject);
    const direct = items.filter(isPerson);
    const people = direct.length > 0 ? direct : items.flatMap((item) => Object.values(item).filter(isPerson));
    for (const field of new Set(people.flatMap((r) => Object.keys(r).filter((k) => PERSONAL.test(k))))) {
      const values = new Set(people.map((r) => r[field]).filter((v): v is string => typeof v === 'string' && v !== ''));
      if (values.size >= 2) return { kind: 'personal-data', field, value: [...values][1]! };
    }
  }
  if (isObject(json)) {
    for (const value of Object.values(json)) {
      if (isObject(value)) {
        const inner = findOthersPersonalData(value, depth + 1);
        if (inner) return inner;
      }
    }
  }
  return undefined;
}

const RULE_OF = { 'password-hash': 'data-exposure.password-hash', 'plaintext-password': 'data-exposure.plaintext-password', secret: 'data-exposure.secret', 'personal-data': 'data-exposure.personal-data' } as const;

export const dataExposureCheck: Check = {
  id: 'data-exposure',
  title: 'Excessive data exposure',
  owasp: 'API3:2023',
  cwe: 213,
  summary: "Answers carrying password hashes, plaintext passwords, secrets or tokens (to an ordinary user) or other users' personal data (to that user, and to anyone on public routes).",
  needs: ['spec', 'identities'],
  rules: [
    {
      id: 'data-exposure.password-hash',
      title: 'Password hashes in an answer',
      severity: 'high',
      owasp: 'API3:2023',
      cwe: 213,
      fix: 'Serialize answers through a response schema that lists the public fields only (a separate public model), so hashes can never be written out.',
    },
    {
      id: 'data-exposure.plaintext-password',
      title: 'Passwords in plain text in an answer',
      severity: 'critical',
      owasp: 'API3:2023',
      cwe: 256,
      fix: 'Store only a slow salted hash of each password (argon2id, scrypt or bcrypt) and never serialise the password field: answer through a response schema that lists public fields only. Have every user change a password that was served.',
    },
    {
      id: 'data-exposure.secret',
      title: 'Secrets or tokens in an answer',
      severity: 'high',
      owasp: 'API3:2023',
      cwe: 213,
      fix: 'Never return stored secrets (API keys, tokens, private keys) after creation; show a prefix or fingerprint instead, through an allowlisting response schema.',
    },
    {
      id: 'data-exposure.personal-data',
      title: "Other users' personal data in an answer",
      severity: 'medium',
      owasp: 'API3:2023',
      cwe: 213,
      fix: "Return other users' records with public fields only (id, display name), and personal fields only to their owner or an authorised role.",
    },
  ],
  async run(ctx: CheckContext): Promise<void> {
    const [who] = users(ctx);
    if (who === undefined) return;
    const grouped = new Grouped(ctx);
    const gets = ctx.spec!.operations.filter((o) => o.method === 'GET');
    const refused = gets.filter((o) => ctx.protection.isProtected(o));
    for (const operation of refused.slice(0, MAX_OPERATIONS)) await probe(ctx, grouped, who, operation);
    // Public routes too, as anyone: what they serve, every visitor gets (secrets there are the inventory check's debug endpoints).
    const open = gets.filter((o) => !ctx.protection.isProtected(o));
    const room = Math.max(0, MAX_OPERATIONS - refused.length);
    if (open.length > room) ctx.note(`${open.length - room} public GET route(s) were not read for exposed data (at most ${MAX_OPERATIONS} routes in all)`);
    for (const [index, operation] of open.slice(0, room).entries()) {
      if (ctx.http.stats.throttled > 0) {
        ctx.note(`${Math.min(open.length, room) - index} public GET route(s) not read for exposed data: the target throttles this client (429/503)`);
        break;
      }
      await probe(ctx, grouped, undefined, operation);
    }
    grouped.flush();
  },
};

/** What each kind is called in a summary. */
const WHAT: Record<Exposure['kind'], string> = {
  'password-hash': 'password hashes',
  'plaintext-password': 'passwords in plain text',
  secret: 'secrets or tokens',
  'personal-data': "other people's personal fields",
};

/** Reads one GET route as `who` (undefined: anonymously, a public route: then secrets are not judged). */
async function probe(ctx: CheckContext, grouped: Grouped, who: AuditIdentity | undefined, operation: Operation): Promise<void> {
  const planned = ctx.planner!.plan(operation);
  const request = { method: 'GET', url: planned.url, headers: planned.headers, purpose: `${operation.path} as ${who?.name ?? 'anyone'}` };
  const result = await (who === undefined ? ctx.send(request) : ctx.sendAs(who, request));
  if (!ok(result)) return;
  const json = parseJson(result.response.text);
  if (json === undefined) return;
  const own = [who?.token()].filter((t): t is string => t !== undefined);
  const found: Exposure[] = findSecrets(json, own).filter((e) => who !== undefined || e.kind !== 'secret');
  const personal = findOthersPersonalData(json);
  if (personal) found.push(personal);
  const location = { method: 'GET', route: operation.path };
  const asker = who === undefined ? 'asked by anyone (no credentials)' : `asked by the ordinary user ${who.name}`;
  for (const kind of ['password-hash', 'plaintext-password', 'secret', 'personal-data'] as const) {
    const hit = found.find((e) => e.kind === kind);
    if (hit === undefined) continue;
    const fields = [...new Set(found.filter((e) => e.kind === kind).map((e) => e.field))].join(', ');
    const shape = kind === 'personal-data' ? "a second person's value" : kind === 'plaintext-password' ? 'a password, not a hash' : 'a real one';
    // A password is shown by its field alone: the value itself stays out of the report.
    const shown = kind === 'plaintext-password' ? `${hit.field} = ${hit.value.slice(0, 2)}… (${hit.value.length} characters)` : `${hit.field} = ${hit.value.slice(0, 12)}…`;
    grouped.add(RULE_OF[kind], location, () => ({
      summary: `GET ${operation.path}, ${asker}, answers with ${WHAT[kind]} (${fields}); e.g. ${shown} has the shape of ${shape}.`,
      exchanges: [kind === 'plaintext-password' ? masked(exchange(`${who?.name ?? 'anyone'} reads ${operation.path}`, result), found.filter((e) => e.kind === kind).map((e) => e.value)) : exchange(`${who?.name ?? 'anyone'} reads ${operation.path}`, result, hit.value)],
    }));
  }
}
