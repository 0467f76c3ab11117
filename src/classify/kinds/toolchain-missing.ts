/** toolchain-missing: the cross compiler, binutils or a host tool the build needs (pahole, flex, ...) is not installed or not runnable. */
import { defineUnit, draft } from '../unit.js';

const TOOL = String.raw`(?:\S*/)?(?:[\w.+-]*-)?(?:gcc|g\+\+|cc|c\+\+|ld|as|ar|nm|objcopy|objdump|strip|readelf|clang|ld\.bfd|ld\.lld|llvm-[\w-]+)(?:-\d+(?:\.\d+)*)?|pahole|bc|flex|bison|perl|openssl|lz4|lzop|xz|zstd|cpio|python3?|bindgen|rustc|depmod|mkimage|sparse`;
/** `/bin/sh: 1: arm-x-gcc: not found` (or `scripts/mkcompile_h: 19: ...`), `make: arm-x-gcc: Command not found`, `...: No such file or directory`. */
const NOT_FOUND = new RegExp(
  `^(?:\\S+: (?:line )?\\d+: )?(?:g?make(?:\\[\\d+\\])?: )?(?<tool>${TOOL}): (?<why>[Cc]ommand not found|not found|No such file or directory)$`,
);
/** Kconfig (scripts/Kconfig.include): `C compiler 'arm-x-gcc' not found`, `linker '...' not found`. */
const KCONFIG = /^(?:\S+:\d+: )?(?<what>C compiler|linker|assembler) '(?<tool>[^']+)' not found$/;
const UNSUPPORTED = /(?:Sorry, this (?:C compiler|assembler|linker) is not supported\.|\*\*\* C compiler is too old\.|: unknown (?:C compiler|assembler|linker)$)/;
/** scripts/link-vmlinux.sh: `BTF: .tmp_vmlinux.btf: pahole (pahole) is not available`. */
const BTF = /^BTF: \S+: (?<msg>pahole \((?<tool>[^)]+)\) is not available)$/;
const EXEC = /^(?<drv>\S+): fatal error: cannot execute [‘'](?<tool>[^’']+)[’']: execvp: No such file or directory$/;

const base = (p: string): string => p.replace(/^.*\//, '');

/** Unit recognising a missing or unusable toolchain; symbol = the tool's name (infrastructure: ERROR). */
export const toolchainMissing = defineUnit({
  kind: 'toolchain-missing',
  stage: 'infra',
  infra: true,
  init: () => null,
  match(line) {
    if (!/not found|No such file|not supported|too old|unknown|not available/.test(line)) return null;
    const b = BTF.exec(line);
    if (b?.groups) return { draft: draft('toolchain-missing', 'error', b.groups.msg!, { symbol: base(b.groups.tool!) }) };
    const k = KCONFIG.exec(line);
    if (k?.groups) return { draft: draft('toolchain-missing', 'error', line.replace(/^\S+:\d+: /, ''), { symbol: base(k.groups.tool!) }) };
    const n = NOT_FOUND.exec(line);
    if (n?.groups) {
      const tool = base(n.groups.tool!);
      return { draft: draft('toolchain-missing', 'error', `${tool}: ${n.groups.why!}`, { symbol: tool }) };
    }
    const e = EXEC.exec(line);
    if (e?.groups) return { draft: draft('toolchain-missing', 'error', line.slice(e.groups.drv!.length + 2), { symbol: e.groups.tool! }) };
    if (UNSUPPORTED.test(line)) return { draft: draft('toolchain-missing', 'error', line.replace(/^\S+:\d+: /, '').trim()) };
    return null;
  },
});
