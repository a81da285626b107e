// Common API paths the crawler asks for when a target publishes no spec: collections (their
// `/{id}` comes from ids seen in answers), auth and token routes, admin, debug and metrics,
// files and backups. Every entry is fetched with GET only, and only if the safety policy calls
// it a read (no path here names an action or a destructive word; a test holds that).
export const COMMON_PATHS: readonly string[] = [
  '/robots.txt', '/sitemap.xml', '/.well-known/security.txt', '/humans.txt',
  '/api', '/api/', '/api/v1', '/api/v2', '/v1', '/v2', '/rest', '/graphql',
  '/api/users', '/users', '/api/v1/users', '/v1/users', '/api/accounts', '/accounts', '/api/customers', '/customers',
  '/api/products', '/products', '/api/items', '/items', '/api/orders', '/orders', '/api/tasks', '/tasks',
  '/api/notes', '/notes', '/api/posts', '/posts', '/api/comments', '/api/messages', '/api/invoices', '/api/payments',
  '/api/me', '/me', '/api/profile', '/profile', '/api/user', '/user', '/api/users/me', '/users/me',
  '/login', '/api/login', '/auth/login', '/api/auth/login', '/api/session', '/session', '/api/sessions', '/token', '/oauth/token', '/api/token', '/auth/token',
  '/admin', '/admin/', '/api/admin', '/api/admin/users', '/admin/users', '/api/internal', '/internal',
  '/debug', '/api/debug', '/debug/vars', '/debug/pprof/', '/console', '/_debug', '/trace', '/env', '/api/env', '/info', '/api/info', '/api/config', '/config', '/config.json',
  '/metrics', '/api/metrics', '/stats', '/api/stats', '/status', '/api/status', '/health', '/api/health', '/healthz', '/version', '/api/version',
  '/actuator', '/actuator/env', '/actuator/health', '/actuator/mappings', '/server-status', '/server-info', '/phpinfo.php',
  '/files', '/files/', '/api/files', '/uploads', '/uploads/', '/static/', '/public/', '/download', '/api/export', '/export',
  '/backup', '/backup/', '/backups/', '/dump', '/db', '/.env', '/.git/config', '/.git/HEAD', '/.DS_Store',
  '/docs', '/docs/', '/api/docs', '/swagger', '/swagger/', '/swagger-ui', '/swagger-ui/', '/swagger-ui.html', '/redoc', '/api-docs', '/partner/docs', '/partner/docs/',
];
