/**
 * The support matrix as data: what kmatrix knows about architectures and Kconfig targets lives in
 * `support/` (one YAML file per architecture, `support/kconfig.yaml`); this module only reads it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { PACKAGE_ROOT } from '../version.js';

/** Where the support data lives (the package's `support/` folder). */
export const SUPPORT_DIR = join(PACKAGE_ROOT, 'support');

const ArchSchema = z.object({ srcarch: z.string().regex(/^[a-z0-9_]+$/) }).strict();
const KconfigSchema = z.object({ allconfig_targets: z.array(z.string().min(1)).min(1) }).strict();

/** Read and validate one YAML file of the support data (a broken file names itself). */
function readSupport<T>(file: string, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** Kernel SRCARCH for an ARCH value: `support/arch/<arch>.yaml`, or the ARCH itself when there is no file. */
export function srcArch(arch: string, dir: string = SUPPORT_DIR): string {
  const file = join(dir, 'arch', `${arch.replace(/[^A-Za-z0-9_]/g, '_')}.yaml`);
  return existsSync(file) ? readSupport(file, ArchSchema).srcarch : arch;
}

/** Whether a base is one of Kconfig's all*config targets (fragments go in via KCONFIG_ALLCONFIG). */
export function isAllConfigTarget(base: string, dir: string = SUPPORT_DIR): boolean {
  return readSupport(join(dir, 'kconfig.yaml'), KconfigSchema).allconfig_targets.includes(base);
}
