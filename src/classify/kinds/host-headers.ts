/**
 * Host development headers the kernel's build tools include, and the Debian package that provides
 * each (checked with `apt-cache show` / `dpkg -L` on Debian 12). A missing one is the machine's
 * fault, not the patch's: sign-file/extract-cert need OpenSSL, objtool and resolve_btfids libelf,
 * menuconfig ncurses, gcc plugins gmp/mpc and gcc's plugin headers, dtc's schema checks libyaml.
 */

/** One row: a header path (exact, or a directory prefix ending in `/`) and its Debian package. */
export interface HostHeader {
  header: string;
  package: string;
}

/** The table, most specific first (the first row that matches wins). */
export const HOST_HEADERS: readonly HostHeader[] = [
  { header: 'openssl/', package: 'libssl-dev' },
  { header: 'gelf.h', package: 'libelf-dev' },
  { header: 'libelf.h', package: 'libelf-dev' },
  { header: 'elfutils/version.h', package: 'libelf-dev' },
  { header: 'elfutils/', package: 'libdw-dev' },
  { header: 'gmp.h', package: 'libgmp-dev' },
  { header: 'mpc.h', package: 'libmpc-dev' },
  { header: 'gcc-plugin.h', package: 'gcc-<version>-plugin-dev' },
  { header: 'ncurses.h', package: 'libncurses-dev' },
  { header: 'curses.h', package: 'libncurses-dev' },
  { header: 'ncursesw/', package: 'libncurses-dev' },
  { header: 'zlib.h', package: 'zlib1g-dev' },
  { header: 'yaml.h', package: 'libyaml-dev' },
  { header: 'lzma.h', package: 'liblzma-dev' },
  { header: 'zstd.h', package: 'libzstd-dev' },
  { header: 'uuid/uuid.h', package: 'uuid-dev' },
  { header: 'bfd.h', package: 'binutils-dev' },
  { header: 'traceevent/', package: 'libtraceevent-dev' },
  { header: 'Python.h', package: 'python3-dev' },
];

/** The Debian package providing a host header, or null when the header is not a known host dependency. */
export function hostHeaderPackage(header: string, table: readonly HostHeader[] = HOST_HEADERS): string | null {
  const row = table.find((r) => (r.header.endsWith('/') ? header.startsWith(r.header) : header === r.header));
  return row?.package ?? null;
}
