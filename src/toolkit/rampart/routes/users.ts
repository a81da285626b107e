// Accounts: registration (open, or admin only), the caller's profile, password change.
import { Type } from 'typebox';
import type { Identity } from '../../auth/identity.ts';
import { refuseInsecureCredentials } from '../../auth/routes.ts';
import { toPublicUser } from '../../auth/users.ts';
import type { RoutePolicy } from '../../policy/types.ts';
import type { RampartServer } from '../../server/create.ts';

const PublicUser = Type.Object(
  { id: Type.String(), username: Type.String(), email: Type.Union([Type.String(), Type.Null()]), role: Type.String(), createdAt: Type.String() },
  { additionalProperties: false },
);
// Passwords may hold any character (NIST SP 800-63B) and are never displayed, so the
// toolkit's refusal of bidirectional controls in text does not apply to them.
const Registration = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 1024, 'x-allow-bidi-controls': true }), email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })) },
  { additionalProperties: false },
);
const PasswordChange = Type.Object(
  { currentPassword: Type.String({ minLength: 1, maxLength: 1024, 'x-allow-bidi-controls': true }), newPassword: Type.String({ minLength: 1, maxLength: 1024, 'x-allow-bidi-controls': true }) },
  { additionalProperties: false },
);

/** `requireHttps` (production): the routes that carry passwords refuse plain HTTP. */
export function userRoutes(app: RampartServer, identity: Identity, registration: 'open' | 'admin', requireHttps = false): void {
  const registerPolicy: RoutePolicy =
    registration === 'open'
      ? { public: true, rateLimit: { name: 'registration', limit: 10, windowSeconds: 3600 } }
      : { scopes: ['admin:users'] };

  app.post('/v1/users', {
    policy: registerPolicy,
    schema: { body: Registration, response: { 201: PublicUser } },
    handler: async (request, reply) => {
      refuseInsecureCredentials(request, requireHttps);
      // The role is never taken from the body: new accounts are ordinary users.
      const user = await identity.createUser(
        { username: request.body.username, password: request.body.password, email: request.body.email ?? null, role: 'user' },
        { id: request.principal?.id ?? null, clientIp: request.client.ip },
      );
      return reply.code(201).send(toPublicUser(user));
    },
  });

  app.get('/v1/users/me', {
    policy: { scopes: ['profile'] },
    schema: { response: { 200: PublicUser } },
    handler: async (request) => {
      const user = await identity.users.findById(request.principal.id);
      if (user === undefined) throw new Error('authenticated user vanished');
      return toPublicUser(user);
    },
  });

  app.put('/v1/users/me/password', {
    policy: { scopes: ['profile'], rateLimit: { name: 'password-change', limit: 10, windowSeconds: 3600 } },
    schema: { body: PasswordChange, response: { 204: Type.Null() } },
    handler: async (request, reply) => {
      refuseInsecureCredentials(request, requireHttps);
      await identity.changePassword(request.principal.id, request.body.currentPassword, request.body.newPassword, request.client.ip);
      return reply.code(204).send();
    },
  });
}
