/** A configuration that cannot be used; each problem is one line naming setting, value and what is allowed. */
export class ConfigError extends Error {
  readonly code = 'bad-config';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}
