import { z } from 'zod';

/** A named fragment: inline lines or a file relative to the matrix file (exactly one). */
export const FragmentSchema = z
  .object({
    lines: z.array(z.string()).optional(),
    file: z.string().min(1).optional(),
  })
  .strict()
  .refine((f) => (f.lines === undefined) !== (f.file === undefined), {
    message: 'a fragment needs exactly one of `lines` or `file`',
  });

/** A variant: Kconfig lines applied on top of each config (e.g. UP, SMP, UP-on-SMP). */
export const VariantSchema = z
  .object({
    description: z.string().optional(),
    fragments: z.array(z.string()).default([]),
    config: z.array(z.string()).default([]),
  })
  .strict();

/** A toolchain: compiler family, make variables on every make call, optional image and version pin. */
export const ToolchainSchema = z
  .object({
    description: z.string().optional(),
    family: z.enum(['gcc', 'llvm']),
    make: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).default({}),
    image: z.string().min(1).optional(),
    version: z.union([z.string().min(1), z.number()]).transform(String).optional(),
  })
  .strict();

/** A base configuration: a defconfig/all*config name or a config file, plus fragments. */
export const ConfigSchema = z
  .object({
    description: z.string().optional(),
    base: z.string().min(1),
    fragments: z.array(z.string()).default([]),
    config: z.array(z.string()).default([]),
    variants: z.array(z.string()).optional(),
    exclude: z.array(z.string()).default([]),
    targets: z.array(z.string().min(1)).min(1).optional(),
    artifacts: z.array(z.string().min(1)).optional(),
    toolchains: z.array(z.string()).min(1).optional(),
  })
  .strict();

/** The whole matrix file. */
export const MatrixSchema = z
  .object({
    version: z.literal(1),
    name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'name may hold letters, digits, . _ -'),
    description: z.string().optional(),
    arch: z.string().min(1),
    cross_compile: z.string(),
    runtime: z.enum(['host', 'podman', 'docker', 'container']).default('host'),
    image: z.string().min(1).optional(),
    oci_runtime: z.string().min(1).optional(),
    runtime_flags: z.array(z.string()).default([]),
    toolchains: z.record(z.string().regex(/^[A-Za-z0-9._+-]+$/, 'toolchain names may hold letters, digits, . _ + -'), ToolchainSchema).optional(),
    targets: z.array(z.string().min(1)).min(1),
    artifacts: z.array(z.string().min(1)).default([]),
    timeout: z.number().int().positive().default(3600),
    fragments: z.record(z.string(), FragmentSchema).default({}),
    variants: z.record(z.string().regex(/^[A-Za-z0-9._+-]+$/, 'variant names may hold letters, digits, . _ + -'), VariantSchema),
    configs: z.record(z.string().regex(/^[A-Za-z0-9._+-]+$/, 'config names may hold letters, digits, . _ + -'), ConfigSchema),
  })
  .strict();

/** A parsed, defaulted matrix file. */
export type MatrixFile = z.infer<typeof MatrixSchema>;
