/** A configuration problem: names the key and the fix. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid collector configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}
