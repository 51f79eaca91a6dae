/**
 * The Moodle plugins directory API 1.3 as the bot reads it. Shapes follow what Moodle's own
 * client reads (lib/classes/update/api.php in moodle/moodle: `pluginfo.php?format=json&
 * plugin=…&minversion=…&branch=…` answers `{status: "OK", apiver: "1.3", pluginfo: {id, name,
 * component, source, doc, bugs, discussion, version: {id, version, release, maturity,
 * downloadurl, downloadmd5, vcs…, supportedmoodles: [{version, release}]}}}`; `pluglist.php`
 * answers `{plugins: [{id, name, component, …, versions: […]}]}`). Unknown fields are ignored:
 * the directory adds fields over time.
 */
import { z } from 'zod';

/** Numbers come as numbers or as numeric strings, depending on the endpoint's age. */
const numeric = z.union([
  z.number(),
  z
    .string()
    .regex(/^\d+(\.\d+)?$/)
    .transform(Number),
]);

const supportedMoodle = z.object({
  version: numeric,
  release: z.string(),
});

export const versionSchema = z.object({
  id: numeric.optional(),
  version: numeric,
  release: z.string().nullable().optional(),
  maturity: numeric.nullable().optional(),
  downloadurl: z.string(),
  downloadmd5: z.string().nullable().optional(),
  supportedmoodles: z.array(supportedMoodle).default([]),
});

const pluginBase = {
  id: numeric.optional(),
  name: z.string(),
  component: z.string(),
  source: z.string().nullable().optional(),
  doc: z.string().nullable().optional(),
};

/** pluginfo.php: `version` is false (or absent) when no version fits the asked branch. */
export const pluginfoSchema = z.object({
  status: z.string(),
  pluginfo: z
    .object({
      ...pluginBase,
      version: z.union([versionSchema, z.literal(false), z.null()]).optional(),
    })
    .optional(),
});

export const pluglistSchema = z.object({
  plugins: z.array(z.object({ ...pluginBase, versions: z.array(versionSchema).default([]) })),
});

export type DirectoryVersion = z.output<typeof versionSchema>;
export type PluglistEntry = z.output<typeof pluglistSchema>['plugins'][number];

/** One plugin as the bot knows it: its versions, newest first. */
export interface DirectoryPlugin {
  readonly name: string;
  readonly component: string;
  readonly versions: readonly DirectoryVersion[];
}

/** Maturity codes of lib/classes/component.php (MATURITY_ALPHA … MATURITY_STABLE). */
export const maturityNames: Readonly<Record<number, string>> = {
  50: 'alpha',
  100: 'beta',
  150: 'RC',
  200: 'stable',
};
