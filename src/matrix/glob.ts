/** Compile a cell glob (`*`, `?`, `{a,b}` not supported; comma separates alternatives) to a predicate. */
export function cellMatcher(pattern: string): (name: string) => boolean {
  const alternatives = pattern.split(',').map((p) => p.trim()).filter(Boolean);
  const regexes = alternatives.map(
    (p) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`),
  );
  return (name) => regexes.some((r) => r.test(name));
}
