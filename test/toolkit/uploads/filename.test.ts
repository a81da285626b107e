// File names are metadata only, but they are shown to people and put into a header: what
// sanitizing must remove, and how Content-Disposition carries any name safely.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { contentDisposition, extensionOf, MAX_NAME_LENGTH, sanitizeFilename } from '../../../src/toolkit/index.ts';

describe('sanitizeFilename', () => {
  test('keeps an ordinary name as it is', () => {
    assert.equal(sanitizeFilename('holiday photo.png'), 'holiday photo.png');
    assert.equal(sanitizeFilename('Käse.jpg'), 'Käse.jpg');
  });

  test('strips path components, Unix and Windows', () => {
    assert.equal(sanitizeFilename('../../etc/passwd.png'), 'passwd.png');
    assert.equal(sanitizeFilename('C:\\Users\\eve\\..\\evil.png'), 'evil.png');
    assert.equal(sanitizeFilename('/absolute/path/x.pdf'), 'x.pdf');
  });

  test('never yields an empty, dot-only or hidden name', () => {
    for (const raw of ['', '..', '.', '../..', '/', '   ', '\u0000', '.htaccess']) {
      const name = sanitizeFilename(raw);
      assert.ok(name !== '' && !name.startsWith('.') && !name.includes('/'), `${JSON.stringify(raw)} → ${JSON.stringify(name)}`);
    }
    assert.equal(sanitizeFilename('..'), 'file');
    assert.equal(sanitizeFilename('.htaccess'), 'htaccess');
  });

  test('removes control characters, CR/LF and NUL (header and log injection)', () => {
    assert.equal(sanitizeFilename('a\r\nSet-Cookie: x=1.png'), 'aSet-Cookie: x=1.png');
    assert.equal(sanitizeFilename('a\u0000b\u007f\u009bc.png'), 'abc.png');
  });

  test('removes bidi overrides and invisible characters (gpj.exe shown as exe.jpg)', () => {
    assert.equal(sanitizeFilename('invoice\u202egpj.exe'), 'invoicegpj.exe');
    assert.equal(sanitizeFilename('a\u2066b\u2069\u200b\ufeffc.png'), 'abc.png');
  });

  test('normalizes to NFC', () => {
    assert.equal(sanitizeFilename('Ka\u0308se.png'), 'K\u00e4se.png');
  });

  test('drops trailing dots and spaces, which Windows would strip', () => {
    assert.equal(sanitizeFilename('evil.png. . '), 'evil.png');
  });

  test('limits the length by code points and keeps the extension', () => {
    const name = sanitizeFilename(`${'😀'.repeat(500)}.png`);
    assert.equal(Array.from(name).length, MAX_NAME_LENGTH);
    assert.ok(name.endsWith('.png'));
    assert.equal(sanitizeFilename('a'.repeat(1000)).length, MAX_NAME_LENGTH);
  });
});

describe('contentDisposition', () => {
  test('an ASCII name is given both ways', () => {
    assert.equal(contentDisposition('report.pdf'), `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`);
  });

  test('a non-ASCII name gets an ASCII fallback and the exact name in RFC 8187 form', () => {
    assert.equal(contentDisposition('Käse (1).png'), `attachment; filename="K_se (1).png"; filename*=UTF-8''K%C3%A4se%20%281%29.png`);
  });

  test('quotes, backslashes and percent signs cannot break out of the quoted fallback', () => {
    const header = contentDisposition('a"; filename="evil.html\\%41.png');
    assert.equal(header, `attachment; filename="a_; filename=_evil.html__41.png"; filename*=UTF-8''a%22%3B%20filename%3D%22evil.html%5C%2541.png`);
    assert.equal(header.match(/"/g)?.length, 2);
  });
});

test('extensionOf is lowercase and empty for none or a leading dot only', () => {
  assert.equal(extensionOf('A.PNG'), 'png');
  assert.equal(extensionOf('archive.tar.gz'), 'gz');
  assert.equal(extensionOf('README'), '');
  assert.equal(extensionOf('.png'), '');
});
