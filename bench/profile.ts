// Reads the .cpuprofile files that `npm run bench -- --cpu-prof` has Node write for each
// Node row, and summarizes where the server's CPU went: the functions with the most self
// time; self time grouped by package (node_modules/<name>), our source file, or Node itself;
// and inclusive time per package or source file (time in it or in anything it called, each
// sample counted once per group on its stack). Idle time is left out, so shares are of the
// time the process was busy (startup and warm-up included).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  selfMs: number;
  selfPct: number;
}

export interface ProfileSummary {
  file: string;
  busyMs: number;
  functions: ProfileEntry[];
  groups: ProfileEntry[];
  inclusive: ProfileEntry[];
}

export async function summarizeProfiles(dir: string, top = 15): Promise<ProfileSummary[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).sort();
  const summaries: ProfileSummary[] = [];
  for (const file of files) {
    summaries.push(summarize(file, JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile, top));
  }
  return summaries;
}

function summarize(file: string, profile: CpuProfile, top: number): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const functions = new Map<string, number>();
  const groups = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busyUs = 0;
  for (const [id, us] of self) {
    const frame = byId.get(id)!;
    if (frame.functionName === '(idle)') continue;
    busyUs += us;
    const where = frame.url === '' ? '' : ` ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
    const name = `${frame.functionName || '(anonymous)'}${where}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
    const group = groupOf(frame);
    groups.set(group, (groups.get(group) ?? 0) + us);
    const onStack = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const caller = byId.get(at)!;
      if (caller.url !== '' && !caller.url.startsWith('node:')) onStack.add(groupOf(caller));
    }
    for (const name of onStack) inclusive.set(name, (inclusive.get(name) ?? 0) + us);
  }
  const entries = (map: Map<string, number>): ProfileEntry[] =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: us / 1000, selfPct: busyUs > 0 ? (us / busyUs) * 100 : 0 }));
  return { file, busyMs: busyUs / 1000, functions: entries(functions), groups: entries(groups), inclusive: entries(inclusive) };
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf('/node_modules/');
  if (modules !== -1) return url.slice(modules + '/node_modules/'.length);
  const src = url.indexOf('/src/');
  if (src !== -1) return url.slice(src + 1);
  const bench = url.indexOf('/bench/');
  return bench !== -1 ? url.slice(bench + 1) : url;
}

function groupOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0] === 'internal' ? url.slice(5).split('/').slice(0, 3).join('/') : url.slice(5)}`;
  const modules = url.lastIndexOf('/node_modules/');
  if (modules !== -1) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  return shortUrl(url);
}

export function formatProfile(summary: ProfileSummary): string {
  const row = (e: ProfileEntry): string => `  ${e.selfPct.toFixed(1).padStart(5)}%  ${e.selfMs.toFixed(0).padStart(7)} ms  ${e.name}`;
  return [
    `${summary.file}: ${summary.busyMs.toFixed(0)} ms busy`,
    ' by package or file (self time):',
    ...summary.groups.map(row),
    ' by package or file, inclusive (it and what it called):',
    ...summary.inclusive.map(row),
    ' top functions (self time):',
    ...summary.functions.map(row),
  ].join('\n');
}
