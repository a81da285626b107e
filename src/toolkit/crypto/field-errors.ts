// The one error a field decryption throws, whatever went wrong: callers branch on `code`, and
// neither the message nor any field carries the ciphertext, the plaintext or a key.

export type FieldDecryptErrorCode =
  | 'ERR_FIELD_MALFORMED' // not a `f1.<kid>.<payload>` string
  | 'ERR_FIELD_UNKNOWN_KEY' // its key id is not in the keyring, even after reloading
  | 'ERR_FIELD_AUTHENTICATION'; // altered, or moved to another row/column

export class FieldDecryptError extends Error {
  readonly code: FieldDecryptErrorCode;

  constructor(code: FieldDecryptErrorCode, message: string) {
    super(message);
    this.name = 'FieldDecryptError';
    this.code = code;
  }
}
