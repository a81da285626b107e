// One root secret, many purposes: each purpose gets its own key through HKDF-SHA256, so a
// key leaked or misused in one place says nothing about the others.
import { hkdfSync } from 'node:crypto';

export function deriveKey(rootSecret: Uint8Array, purpose: string, length = 32): Buffer {
  return Buffer.from(hkdfSync('sha256', rootSecret, 'rampart/v1', purpose, length));
}
