// The raw hashing ceiling for the login row: argon2id verifications per second with
// @node-rs/argon2 alone — no HTTP, no database, no tokens — against the very hash the login
// server stored (so the same parameters: the PHC string carries them), with the same bound on
// verifications in flight as the server's password hasher (2 by default), on the same cores,
// for a fixed time. The harness runs it as its own process in each round of the login row,
// while the servers idle. Prints one line: `@@ceiling {"verifications":…,"seconds":…,…}`.
//
// Usage: node bench/argon2-ceiling.ts <hash file> <password> <seconds> <in flight>
import { readFileSync } from 'node:fs';
import { verify } from '@node-rs/argon2';
import type { CeilingResult } from './login.ts';

async function main(): Promise<void> {
  const [hashFile, password, secondsText, inFlightText] = process.argv.slice(2);
  if (hashFile === undefined || password === undefined || secondsText === undefined || inFlightText === undefined) {
    throw new Error('usage: node bench/argon2-ceiling.ts <hash file> <password> <seconds> <in flight>');
  }
  const hash = readFileSync(hashFile, 'utf8').trim();
  const seconds = Number(secondsText);
  const inFlight = Number(inFlightText);
  if (!(await verify(hash, password))) throw new Error('argon2-ceiling: the password does not match the hash');

  const deadline = performance.now() + seconds * 1000;
  let verifications = 0;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const lane = async (): Promise<void> => {
    while (performance.now() < deadline) {
      await verify(hash, password);
      verifications++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const result: CeilingResult = {
    verifications,
    seconds: elapsed,
    perSecond: verifications / elapsed,
    cpuUsPerVerification: (cpu.user + cpu.system) / Math.max(1, verifications),
    inFlight,
    params: /\$(m=\d+,t=\d+,p=\d+)\$/.exec(hash)?.[1] ?? 'unknown',
  };
  process.stdout.write(`@@ceiling ${JSON.stringify(result)}\n`);
}

await main();
