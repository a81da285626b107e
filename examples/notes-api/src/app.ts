// The notes API: Rampart's wiring in one call, then the app's own routes.
import { createRampart, type RampartOptions } from 'rampart';
import { notesRoutes } from './notes.ts';
import { migrations, type Tables } from './schema.ts';

export async function buildApp(options: RampartOptions = {}) {
  const app = await createRampart<Tables>({ ...options, migrations, docs: { title: 'Notes API', version: '1.0.0' } });
  notesRoutes(app);
  return app;
}
