// The webhook feature of the reference service: routes plus the dispatcher, which starts
// when the server is ready and stops (waiting for attempts in flight) before it closes.
import type { Database, FieldCipher, RampartConfig, RampartServer } from '../../toolkit/index.ts';
import { webhookRoutes } from '../routes/webhooks.ts';
import { createDispatcher, DEFAULT_DISPATCHER, type Dispatcher, type DispatcherOptions } from './dispatcher.ts';

export type WebhookOverrides = Partial<Omit<DispatcherOptions, 'allowInsecureLoopback'>> & { perUserLimit?: number };

export function webhookFeature(app: RampartServer, database: Database<unknown>, cipher: FieldCipher, config: RampartConfig, overrides: WebhookOverrides = {}): Dispatcher {
  const allowInsecureLoopback = config.webhooks.allowInsecureLoopbackDevelopmentOnly;
  if (allowInsecureLoopback) app.log.warn('RAMPART_WEBHOOKS_ALLOW_INSECURE_LOOPBACK_DEVELOPMENT_ONLY is on: webhooks may target plain-HTTP loopback URLs');
  const { perUserLimit, ...dispatch } = overrides;
  webhookRoutes(app, database, cipher, { allowInsecureLoopback, ...(perUserLimit !== undefined && { perUserLimit }), ...(dispatch.resolver && { resolver: dispatch.resolver }) });
  const dispatcher = createDispatcher(database.db, cipher, { ...DEFAULT_DISPATCHER, ...dispatch, allowInsecureLoopback }, app.log);
  app.addHook('onReady', async () => {
    dispatcher.start();
    await Promise.resolve();
  });
  app.addHook('preClose', async () => dispatcher.stop());
  return dispatcher;
}

export { enqueueEvent } from './outbox.ts';
export { WEBHOOK_EVENTS, type WebhookEvent } from './tables.ts';
