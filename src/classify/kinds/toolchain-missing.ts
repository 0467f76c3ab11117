/**
 * toolchain-missing: the cross compiler, binutils or a host tool the build needs (pahole, flex, ...)
 * is not installed or not runnable, or a host development header its tools include is missing
 * (gcc's `scripts/sign-file.c:25:10: fatal error: openssl/opensslv.h: No such file or directory`,
 * clang's `fatal error: 'openssl/bio.h' file not found`): symbol = the header, and the message
 * names the Debian package that provides it (host-headers.ts).
 */
import { defineUnit, draft, int } from '../unit.js';
import { hostHeaderPackage } from './host-headers.js';

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

const AT = String.raw`^(?<file>[^\s:][^:]*?):(?<line>\d+):(?:(?<col>\d+):)? fatal error: `;
const HEADER_GCC = new RegExp(`${AT}(?<hdr>[^\\s:'‘’]+\\.h): No such file or directory$`);
const HEADER_CLANG = new RegExp(`${AT}'(?<hdr>[^']+\\.h)' file not found$`);

const base = (p: string): string => p.replace(/^.*\//, '');

/** Unit recognising a missing or unusable toolchain; symbol = the tool's name (infrastructure: ERROR). */
export const toolchainMissing = defineUnit({
  kind: 'toolchain-missing',
  stage: 'infra',
  infra: true,
  init: () => null,
  match(line, _st, ctx) {
    if (!/not found|No such file|not supported|too old|unknown|not available/.test(line)) return null;
    const h = line.includes('fatal error') ? (HEADER_GCC.exec(line) ?? HEADER_CLANG.exec(line)) : null;
    if (h?.groups) {
      const pkg = hostHeaderPackage(h.groups.hdr!);
      if (pkg === null) return null; // the kernel's own header: a compile-error
      const at = { file: ctx.rel(h.groups.file!), line: int(h.groups.line), column: int(h.groups.col), symbol: h.groups.hdr! };
      return { draft: draft('toolchain-missing', 'error', `host header ${h.groups.hdr!} not found (Debian package ${pkg})`, at) };
    }
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
