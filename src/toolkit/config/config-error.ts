/** Bad configuration: every problem at once, never a secret value. */
export class ConfigError extends Error {
  readonly code = 'RAMPART_CONFIG';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Configuration refused (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
