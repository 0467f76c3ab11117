/** Splitting a byte stream into lines without ever holding more than one capped line (pure over its input). */
import { StringDecoder } from 'node:string_decoder';

/**
 * Lines of a byte or text stream (`\n`-separated; a `\r` before it is left for the classifier).
 * Each line is cut at `maxLine` characters and the rest of it skipped, so a 10 MB line costs no
 * more memory than a short one; invalid UTF-8 becomes U+FFFD, never an exception.
 */
export async function* splitLines(input: AsyncIterable<Buffer | string>, maxLine: number): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let line = '';
  let full = false;
  const add = (s: string): void => {
    if (full) return;
    if (line.length + s.length >= maxLine) {
      line += s.slice(0, maxLine - line.length);
      full = true;
    } else line += s;
  };
  for await (const chunk of input) {
    const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl === -1) break;
      add(text.slice(start, nl));
      yield line;
      line = '';
      full = false;
      start = nl + 1;
    }
    if (start < text.length) add(start === 0 ? text : text.slice(start));
  }
  add(decoder.end());
  if (line.length > 0) yield line;
}
