// `rampart seed`: demo data for development. Passwords are printed once, here, on stdout.
import { Command } from 'commander';
import { buildApp } from '../app/app.ts';
import { formatSeeded, seed } from '../app/seed.ts';
import { loadConfig } from '../toolkit/index.ts';

export function seedCommand(): Command {
  return new Command('seed').description('create demo users, products, deposits and orders (development only)').action(async () => {
    const config = loadConfig();
    if (config.mode !== 'development') throw new Error('seed is refused outside development: it creates accounts with known roles and prints their passwords');
    const service = await buildApp(config, { server: { logLevel: 'warn' } });
    try {
      const accounts = await seed(service);
      process.stdout.write(accounts === undefined ? 'the database already has users; nothing seeded\n' : formatSeeded(accounts));
    } finally {
      await service.app.close();
    }
  });
}
