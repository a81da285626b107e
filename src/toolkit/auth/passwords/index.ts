// Passwords: argon2id hashing with bounded concurrency, and the NIST SP 800-63B-4 policy.

export { ARGON2_PARAMS, createPasswordHasher } from './hash.ts';
export type { Argon2Params, PasswordHasher, PasswordHasherOptions } from './hash.ts';
export { PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH, checkPasswordPolicy } from './policy.ts';
export type { PolicyContext, PolicyResult } from './policy.ts';
