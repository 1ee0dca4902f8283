import { displayText } from '../text/displayText.ts';

/** A configuration that cannot be used; each problem is one line naming setting, value and what is allowed. */
export class ConfigError extends Error {
  readonly code = 'bad-config';
  /** One line each: control characters from a file or flag (a JSON parser quotes them) are escaped. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    const lines = problems.map(displayText);
    super(lines.join('\n'));
    this.name = 'ConfigError';
    this.problems = lines;
  }
}
