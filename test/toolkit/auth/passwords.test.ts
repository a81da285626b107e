// Passwords: the NIST SP 800-63B-4 policy and argon2id hashing, against the real library.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { HttpProblem } from '../../../src/toolkit/errors/problem.ts';
import {
  ARGON2_PARAMS,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  checkPasswordPolicy,
  createPasswordHasher,
} from '../../../src/toolkit/auth/passwords/index.ts';
import type { PolicyResult } from '../../../src/toolkit/auth/passwords/index.ts';
import { ARGON2I } from '../../../src/toolkit/auth/passwords/hash.ts';
import { createLimiter } from '../../../src/toolkit/auth/passwords/limiter.ts';

const USER = { username: 'alice', email: 'alice.smith@example.com' };
const TOO_SHORT = `is too short: use at least ${PASSWORD_MIN_LENGTH} characters`;
const TOO_LONG = `is too long: use at most ${PASSWORD_MAX_LENGTH} characters`;
const PHC_OWASP = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/;
const STRONG = 'vortex-Plume-83-quill-marsh';

/** A deterministic, non-repeating, random-looking string of `length` code points. */
function randomLooking(length: number, seed = 'rampart'): string {
  let text = '';
  for (let i = 0; text.length < length; i++) text += createHash('sha512').update(`${seed}:${i}`).digest('base64').replace(/=+$/, '');
  return text.slice(0, length);
}

/** Checks the policy and that no reason echoes the password, raw or normalised. */
function judge(password: string, context: { username: string; email?: string | null } = USER): PolicyResult {
  const result = checkPasswordPolicy(password, context);
  assert.equal(result.ok, result.reasons.length === 0);
  for (const reason of result.reasons) {
    assert.ok(!reason.includes(password), `a reason echoes the password: ${reason}`);
    assert.ok(!reason.includes(password.normalize('NFKC')), `a reason echoes the normalised password: ${reason}`);
  }
  return result;
}

function isBusy(error: unknown): boolean {
  assert.ok(error instanceof HttpProblem);
  assert.equal(error.status, 503);
  assert.equal(error.headers['retry-after'], '1');
  return true;
}

describe('password policy: length in characters', () => {
  test('rejects a strong random-looking 14-character password on length alone', () => {
    assert.deepEqual(judge('Xk9#mQ2$vL7@pR'), { ok: false, reasons: [TOO_SHORT] });
  });

  test('accepts a strong 15-character password', () => {
    assert.deepEqual(judge('Xk9#mQ2$vL7@pRz'), { ok: true, reasons: [] });
  });

  test('accepts a strong 128-character password', () => {
    const password = randomLooking(PASSWORD_MAX_LENGTH);
    assert.equal(password.length, 128);
    assert.deepEqual(judge(password), { ok: true, reasons: [] });
  });

  test('rejects a strong 129-character password on length alone', () => {
    assert.deepEqual(judge(randomLooking(PASSWORD_MAX_LENGTH + 1)), { ok: false, reasons: [TOO_LONG] });
  });

  test('rejects an over-long password before the strength check runs', () => {
    // zxcvbn would also call 129 repeated letters weak; only the length reason means it never ran.
    assert.deepEqual(judge('a'.repeat(PASSWORD_MAX_LENGTH + 1)), { ok: false, reasons: [TOO_LONG] });
  });

  test('rejects a megabyte password by its length alone', () => {
    assert.deepEqual(judge('x'.repeat(1 << 20)), { ok: false, reasons: [TOO_LONG] });
  });

  test('counts code points, not UTF-16 units: 14 emoji are too short, 15 are enough', () => {
    const emoji = '🦊🐙🌵🍄🚀🎲🧭🪐🦉🐝🌋🍋🧩🛶🎻';
    assert.equal(emoji.length, 30);
    assert.deepEqual(judge(Array.from(emoji).slice(0, 14).join('')), { ok: false, reasons: [TOO_SHORT] });
    assert.deepEqual(judge(emoji), { ok: true, reasons: [] });
  });

  test('counts code points at the top too: 128 emoji (256 UTF-16 units) pass, 129 fail', () => {
    // Astral code points from U+1F300 in a scrambled order, so nothing repeats or runs in sequence.
    const points = Array.from({ length: 129 }, (_, i) => 0x1f300 + ((i * 37) % 256));
    const emoji = String.fromCodePoint(...points);
    assert.deepEqual(judge(String.fromCodePoint(...points.slice(0, 128))), { ok: true, reasons: [] });
    assert.deepEqual(judge(emoji), { ok: false, reasons: [TOO_LONG] });
  });

  test('rejects a password with a lone surrogate (not Unicode text) without echoing it', () => {
    const result = judge(`${STRONG}\ud800`);
    assert.equal(result.ok, false);
    assert.match(result.reasons[0]!, /not valid Unicode/);
  });
});

describe('password policy: any characters, no composition rules', () => {
  test('accepts a long passphrase with spaces and non-Latin scripts', () => {
    assert.deepEqual(judge('Ночь, улица, фонарь, аптека 月が綺麗ですね'), { ok: true, reasons: [] });
    assert.deepEqual(judge('gentle orbit lantern fjord'), { ok: true, reasons: [] });
  });

  test('accepts a strong password of lowercase letters only', () => {
    assert.deepEqual(judge('quillmarshvortexplume'), { ok: true, reasons: [] });
  });
});

describe('password policy: guessable passwords', () => {
  for (const common of ['passwordpassword', 'qwertyuiopasdfgh', 'iloveyou12345678', 'P@55w0rd!P@55w0rd!']) {
    test(`rejects the padded common password ${JSON.stringify(common)} with zxcvbn's reason`, () => {
      const result = judge(common);
      assert.equal(result.ok, false);
      // zxcvbn's warning or suggestion follows the colon, e.g. "This is similar to a commonly used password"
      // (an exact breach-list entry also gets the list's own reason).
      const strength = result.reasons.filter((r) => !r.startsWith('is on a list'));
      assert.equal(strength.length, 1);
      assert.match(strength[0]!, /^is too easy to guess: [A-Z].{10,}[^.]$/);
    });
  }

  test('rejects published example passphrases however they are spaced (NIST SP 800-63B blocklist)', () => {
    for (const famous of ['correcthorsebatterystaple', 'correct horse battery staple', 'Correct-Horse-Battery-Staple', 'correct_horse.battery staple']) {
      assert.ok(judge(famous).reasons.includes('is on a list of commonly used or published passwords'), famous);
    }
    assert.deepEqual(judge('correct-horse-battery-staple-91!'), { ok: true, reasons: [] }, 'more than the famous phrase is not on the list');
  });

  test('rejects every long entry of the bundled breach list (@zxcvbn-ts/language-common passwords-common)', async () => {
    const { dictionary } = await import('@zxcvbn-ts/language-common');
    const long = dictionary['passwords-common'].filter((p) => Array.from(p).length >= 15);
    assert.ok(long.length > 0);
    for (const entry of long) assert.ok(judge(entry).reasons.includes('is on a list of commonly used or published passwords'), entry);
  });

  test('default-ignorable code points (U+200D and others) do not hide the username or pad the length', () => {
    for (const hidden of [`al\u200Dice-${STRONG}`, `a\u200Bl\u2060i\u00ADc\uFE0Fe-${STRONG}`, `${STRONG}-ALI\u200DCE`]) {
      assert.ok(judge(hidden).reasons.includes('must not contain your username'), JSON.stringify(hidden));
    }
    const padded = 'Tq8#vZ2!mK9@pL' + '\u200D'.repeat(10);
    assert.ok(judge(padded).reasons.some((r) => r.startsWith('is too short')), '14 visible characters stay 14');
  });

  test('rejects a password containing the username, in any case', () => {
    for (const password of [`xq7-alice-${STRONG}`, `${STRONG}-ALICE`, `AlIcE${STRONG}`]) {
      assert.ok(judge(password).reasons.includes('must not contain your username'), password);
    }
    assert.ok(judge(`${STRONG}-alice`, { username: 'ALICE' }).reasons.includes('must not contain your username'));
  });

  test('rejects a password equal to the email address', () => {
    const result = judge('Alice.Smith@Example.com');
    assert.equal(result.ok, false);
    assert.ok(result.reasons.includes('must not contain your email address'));
  });

  test('rejects a password containing the email local part', () => {
    const result = judge(`${STRONG}+alice.smith`, { username: 'bob', email: 'alice.smith@example.com' });
    assert.deepEqual(result, { ok: false, reasons: ['must not contain the part of your email address before the @'] });
  });

  test('does not search for identifiers shorter than 3 characters', () => {
    assert.deepEqual(judge(`al-${STRONG}`, { username: 'al', email: 'al@example.com' }), { ok: true, reasons: [] });
  });

  test('accepts a strong password for a user without an email', () => {
    assert.deepEqual(judge(STRONG, { username: 'bob', email: null }), { ok: true, reasons: [] });
  });
});

describe('password policy: judged in NFKC form', () => {
  test('judges a fullwidth password exactly as its ASCII form', () => {
    const fullwidth = 'ｐａｓｓｗｏｒｄｐａｓｓｗｏｒｄ';
    assert.equal(fullwidth.normalize('NFKC'), 'passwordpassword');
    const result = judge(fullwidth);
    assert.equal(result.ok, false);
    assert.deepEqual(result, judge('passwordpassword'));
  });

  test('finds a username written in fullwidth letters', () => {
    assert.ok(judge(`ＡＬＩＣＥ-${STRONG}`).reasons.includes('must not contain your username'));
  });

  test('counts length after normalising: 14 characters with the "ﬃ" ligature are 16', () => {
    const password = 'ﬃQ7#vLmZ2@kR9w';
    assert.equal(Array.from(password).length, 14);
    assert.equal(Array.from(password.normalize('NFKC')).length, 16);
    assert.deepEqual(judge(password), { ok: true, reasons: [] });
  });
});

describe('password hashing: argon2id at OWASP parameters', () => {
  const hasher = createPasswordHasher();

  test('hashes with argon2id, v=19, m=19456, t=2, p=1 and a fresh salt each time', async () => {
    assert.deepEqual({ ...ARGON2_PARAMS }, { algorithm: 2, version: 1, memoryCost: 19456, timeCost: 2, parallelism: 1 });
    const [first, second] = await Promise.all([hasher.hash(STRONG), hasher.hash(STRONG)]);
    assert.match(first, PHC_OWASP);
    assert.match(second, PHC_OWASP);
    assert.notEqual(first, second);
  });

  test('verifies the right password and refuses a wrong one', async () => {
    const stored = await hasher.hash(STRONG);
    assert.equal(await hasher.verify(stored, STRONG), true);
    assert.equal(await hasher.verify(stored, `${STRONG}x`), false);
    assert.equal(await hasher.verify(stored, STRONG.toUpperCase()), false);
    assert.equal(await hasher.verify(stored, ''), false);
  });

  test('verifies a password set with a ligature when typed with plain letters, and fullwidth as ASCII', async () => {
    const ligature = await hasher.hash('ﬁnch-orbit-Quasar-7ledger');
    assert.equal(await hasher.verify(ligature, 'finch-orbit-Quasar-7ledger'), true);
    const fullwidth = await hasher.hash('ｖｏｒｔｅｘ－Ｐｌｕｍｅ－８３');
    assert.equal(await hasher.verify(fullwidth, 'vortex-Plume-83'), true);
    assert.equal(await hasher.verify(fullwidth, 'vortex-plume-83'), false);
  });

  test('verify on a malformed stored hash resolves false without throwing', async () => {
    const stored = await hasher.hash(STRONG);
    const malformed = [
      '', 'garbage', 'null', '$argon2id$', stored.slice(0, -10), `${stored}!!`, stored.replace('$v=19', '$v=99'),
      '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$', '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW',
      `$argon2id$v=19$m=19456,t=2,p=1$${'A'.repeat(600)}`,
    ];
    for (const bad of malformed) assert.equal(await hasher.verify(bad, STRONG), false, bad);
    assert.equal(await hasher.verify(undefined as unknown as string, STRONG), false);
  });

  test('needsRehash is false for its own hashes and for stronger ones', async () => {
    assert.equal(hasher.needsRehash(await hasher.hash(STRONG)), false);
    const stronger = await createPasswordHasher({ params: { memoryCost: 32768, timeCost: 3 } }).hash(STRONG);
    assert.equal(hasher.needsRehash(stronger), false);
  });

  test('needsRehash is true for weaker parameters, another algorithm, and garbage', async () => {
    const weak = await createPasswordHasher({ params: { memoryCost: 4096, timeCost: 1 } }).hash(STRONG);
    assert.match(weak, /^\$argon2id\$v=19\$m=4096,t=1,p=1\$/);
    assert.equal(hasher.needsRehash(weak), true);
    assert.equal(await hasher.verify(weak, STRONG), true, 'a weak hash still verifies, so the login can upgrade it');

    const argon2i = await createPasswordHasher({ params: { algorithm: ARGON2I } }).hash(STRONG);
    assert.match(argon2i, /^\$argon2i\$v=19\$m=19456,t=2,p=1\$/);
    assert.equal(hasher.needsRehash(argon2i), true);

    const ours = await hasher.hash(STRONG);
    assert.equal(hasher.needsRehash(ours.replace('$v=19', '$v=16')), true);
    for (const bad of ['', 'garbage', '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$', '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW']) {
      assert.equal(hasher.needsRehash(bad), true, bad);
    }
  });

  test('a hasher configured stronger asks to rehash OWASP-strength hashes', async () => {
    const stronger = createPasswordHasher({ params: { memoryCost: 32768 } });
    assert.equal(stronger.needsRehash(await hasher.hash(STRONG)), true);
  });

  test('verifyDummy resolves false and does the same argon2 work as a real verify', async () => {
    // Timing is not asserted (the machine is shared; bench/ measures speed). What makes the
    // cost equal is structural: the dummy check takes a hashing slot like a real verify and
    // runs argon2 against a hash made with the same parameters.
    const single = createPasswordHasher({ maxInFlight: 1 });
    const stored = await hasher.hash(STRONG);
    await single.verifyDummy(STRONG); // the dummy hash exists
    const running = single.verifyDummy(STRONG);
    const queued = single.verify(stored, STRONG);
    assert.equal(single.inFlight, 1, 'the dummy check occupies the one slot');
    assert.equal(single.queued, 1, 'so a real verify waits behind it');
    assert.equal(await running, false);
    assert.equal(await queued, true);
    const started = performance.now();
    await single.verifyDummy(STRONG);
    console.log(`argon2id dummy verify at OWASP parameters: ${(performance.now() - started).toFixed(1)} ms (informational)`);
  });

  test('rejects an over-long or ill-formed password with a 400 that does not contain it', async () => {
    for (const password of ['y'.repeat(5000), `${STRONG}\udc00`]) {
      await assert.rejects(hasher.hash(password), (error: unknown) => {
        assert.ok(error instanceof HttpProblem);
        assert.equal(error.status, 400);
        assert.ok(!error.message.includes(password) && !JSON.stringify(error.toJSON()).includes(password));
        return true;
      });
      assert.equal(await hasher.verify(await hasher.hash(STRONG), password), false);
      assert.equal(await hasher.verifyDummy(password), false);
    }
  });

  test('refuses invalid options with a message that names them', () => {
    assert.throws(() => createPasswordHasher({ maxInFlight: 0 }), /maxInFlight must be an integer >= 1/);
    assert.throws(() => createPasswordHasher({ maxQueued: 1.5 }), /maxQueued must be an integer >= 0/);
    assert.throws(() => createPasswordHasher({ params: { timeCost: 0 } }), /params.timeCost/);
    assert.throws(() => createPasswordHasher({ params: { memorycost: 4096 } as never }), /unsupported params `memorycost`/);
  });
});

describe('password hashing: bounded concurrency', () => {
  test('never runs more than maxInFlight hashes at once', async () => {
    const hasher = createPasswordHasher({ maxInFlight: 2 });
    const all = Promise.all(Array.from({ length: 10 }, (_, i) => hasher.hash(`${STRONG}-${i}`)));
    assert.equal(hasher.inFlight, 2);
    assert.equal(hasher.queued, 8);
    const settled = { done: false };
    const mark = (): void => void (settled.done = true);
    void all.then(mark, mark);
    let maxInFlight = 0;
    let samples = 0;
    while (!settled.done) {
      maxInFlight = Math.max(maxInFlight, hasher.inFlight);
      samples++;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const hashes = await all;
    assert.equal(new Set(hashes).size, 10);
    assert.equal(maxInFlight, 2);
    assert.ok(samples > 10, `sampled ${samples} times`);
    assert.equal(hasher.inFlight, 0);
    assert.equal(hasher.queued, 0);
  });

  test('rejects at once with 503 and Retry-After when the queue is full; queued calls still finish', async () => {
    const hasher = createPasswordHasher({ maxInFlight: 1, maxQueued: 2 });
    const order: string[] = [];
    const calls = Array.from({ length: 4 }, (_, i) => hasher.hash(`${STRONG}-${i}`).then(
      (stored) => (order.push(`ok${i}`), stored),
      (error: unknown) => (order.push(`rejected${i}`), Promise.reject(error as Error)),
    ));
    assert.equal(hasher.inFlight, 1);
    assert.equal(hasher.queued, 2);
    await assert.rejects(calls[3]!, isBusy);
    for (const call of calls.slice(0, 3)) assert.match(await call, PHC_OWASP);
    assert.deepEqual(order, ['rejected3', 'ok0', 'ok1', 'ok2']);
    assert.equal(hasher.inFlight, 0);
    assert.equal(hasher.queued, 0);
    assert.match(await hasher.hash(STRONG), PHC_OWASP, 'accepts work again once the queue drains');
  });

  test('a busy server makes verify and verifyDummy reject with 503, never resolve false', async () => {
    const hasher = createPasswordHasher({ maxInFlight: 1, maxQueued: 0 });
    const stored = await hasher.hash(STRONG);
    const running = hasher.hash(STRONG);
    await assert.rejects(hasher.verify(stored, STRONG), isBusy);
    await assert.rejects(hasher.verifyDummy(STRONG), isBusy);
    await running;
    assert.equal(await hasher.verify(stored, STRONG), true);
  });

  test('a failing task gives its slot back', async () => {
    const limiter = createLimiter(1, 0, () => new Error('busy'));
    await assert.rejects(limiter.run(() => Promise.reject(new Error('argon2 failed'))), /argon2 failed/);
    assert.equal(limiter.active, 0);
    assert.equal(await limiter.run(() => Promise.resolve('ran')), 'ran');
  });
});
