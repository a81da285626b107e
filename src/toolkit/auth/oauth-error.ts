// RFC 6749 §5.2 error responses: the token endpoint's own error format, not problem+json.

export type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client' | 'unsupported_grant_type' | 'invalid_scope';

export class OAuthError extends Error {
  readonly status: number;
  readonly error: OAuthErrorCode;
  readonly description: string;
  constructor(error: OAuthErrorCode, description: string) {
    super(description);
    this.name = 'OAuthError';
    this.error = error;
    this.description = description;
    this.status = error === 'invalid_client' ? 401 : 400;
  }
  toJSON(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}

/** The one answer for unknown user, wrong password and disabled account: byte-identical. */
export const BAD_CREDENTIALS = (): OAuthError => new OAuthError('invalid_grant', 'The username or password is incorrect.');
export const BAD_REFRESH_TOKEN = (): OAuthError => new OAuthError('invalid_grant', 'The refresh token is invalid, expired or revoked.');
