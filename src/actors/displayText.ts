/**
 * Text from other people, made safe for a terminal: control characters (escape sequences could
 * move the cursor, recolour or retitle the terminal) are shown as `\xNN`/`\u{…}` instead.
 */
export function displayText(text: string): string {
  return text.replace(/[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu, (c) => {
    const code = c.codePointAt(0)!;
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}
