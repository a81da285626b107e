// The published package as a user gets it: `npm pack` (which builds), then `npm install` of the
// tarball into a project. The registry is used for the dependencies, the npm cache first.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const NPM_ENV = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };

/** Packs the repository into `dir` and returns the tarball's path. */
export function packInto(dir: string): string {
  execFileSync('npm', ['pack', '--pack-destination', dir], { cwd: ROOT, env: NPM_ENV, stdio: 'pipe' });
  const tarball = readdirSync(dir).find((name) => name.endsWith('.tgz'));
  if (tarball === undefined) throw new Error(`npm pack left no tarball in ${dir}`);
  return join(dir, tarball);
}

export function installTarball(project: string, tarball: string): void {
  execFileSync('npm', ['install', '--prefer-offline', '--no-package-lock', tarball], { cwd: project, env: NPM_ENV, stdio: 'pipe' });
}
