/** The installer's package port on src/plugins/package: MD5, safe unpack, validator, tar. */
import { checkDownload } from '../package/download.ts';
import { extractArgv, tarOf } from '../package/tar.ts';
import { unpackPlugin } from '../package/unpack.ts';
import { validatePlugin } from '../package/validate.ts';
import type { PluginPackage } from './package-port.ts';

export const pluginPackage: PluginPackage = {
  checkDownload(bytes, md5) {
    // No MD5 from the directory is refused as a malformed one: nothing unchecked is installed.
    checkDownload(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), md5 ?? '');
  },
  async prepare(zip, component, site, installed) {
    const buffer = Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength);
    const unpacked = await unpackPlugin(buffer, { component });
    const plugin = await validatePlugin(unpacked, site, installed);
    return {
      plugin: { component: plugin.component, version: plugin.version, release: plugin.release },
      tar: (owner) => tarOf(unpacked, owner),
      extractArgv: (typeDir) => extractArgv(typeDir),
    };
  },
};
