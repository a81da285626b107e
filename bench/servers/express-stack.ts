// Row `express-stack`: what a Node user would pick — Express 5 with helmet, cors,
// express-rate-limit and a jose EdDSA bearer check plus a role check as middleware.
// No request logging (Express has none by default), which flatters this row.
import { readFileSync } from 'node:fs';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import cors from 'cors';
import { rateLimit } from 'express-rate-limit';
import { importSPKI, jwtVerify, type JWTPayload } from 'jose';
import { ALLOWED_ORIGIN, env, order, ready, REQUIRED_ROLE, TOKEN_AUDIENCE, TOKEN_ISSUER } from './common.ts';

const publicKey = await importSPKI(readFileSync(env('BENCH_PUBLIC_KEY_FILE'), 'utf8'), 'EdDSA');

interface Authenticated {
  user?: JWTPayload;
}

const app = express();
app.use(helmet());
app.use(cors({ origin: [ALLOWED_ORIGIN] }));
app.use(rateLimit({ windowMs: 60_000, limit: Number(env('BENCH_RATE_LIMIT')), standardHeaders: 'draft-8', legacyHeaders: false }));

function authenticate(req: Request, res: Response, next: NextFunction): void {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ') !== true) {
    res.status(401).json({ error: 'missing bearer token' });
    return;
  }
  jwtVerify(header.slice(7), publicKey, { algorithms: ['EdDSA'], issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE }).then(
    ({ payload }) => {
      res.locals.user = payload;
      next();
    },
    () => {
      res.status(401).json({ error: 'invalid token' });
    },
  );
}

function requireRole(role: string) {
  return (_req: Request, res: Response<unknown, Authenticated>, next: NextFunction): void => {
    const roles = res.locals.user?.roles;
    if (!Array.isArray(roles) || !roles.includes(role)) {
      res.status(403).json({ error: 'forbidden' });
      return;
    }
    next();
  };
}

app.get('/v1/orders/:id', authenticate, requireRole(REQUIRED_ROLE), (req: Request<{ id: string }>, res: Response) => {
  res.json(order(req.params.id));
});

const server = app.listen(0, '127.0.0.1', () => ready(server.address()));
