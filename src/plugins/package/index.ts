/**
 * Installing a Moodle plugin package, the pure parts: the download checked, the ZIP unpacked
 * safely in memory, checked as Moodle's validator would, and turned into a tar for the
 * container. The installer (src/plugins/install/) runs them in this order.
 */
export { checkDownload, emptyMd5 } from './download.ts';
export { extractArgv, tarOf, type TarOwner } from './tar.ts';
export {
  defaultUnpackLimits,
  splitComponent,
  type PluginEntry,
  type UnpackedPlugin,
  type UnpackLimits,
} from './types.ts';
export { unpackPlugin } from './unpack.ts';
export {
  branchNumber,
  validatePlugin,
  type InstalledVersions,
  type ValidatedPlugin,
} from './validate.ts';
