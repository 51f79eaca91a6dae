/**
 * Defers two parts of dockerode that load at its import but serve only features most runs
 * never use: `dockerode/lib/session.js` (BuildKit sessions, which pulls in @grpc/grpc-js and
 * protobuf code) and `docker-modem/lib/ssh.js` (which pulls in ssh2, needed only for an
 * `ssh://` engine). Together about 150 modules and 10 MB of resident memory, measured with
 * Node 24 on this project's pinned versions.
 *
 * Each is put in the CommonJS module cache as a stand-in before dockerode is loaded. Both
 * files export a single function, and both are called, never read otherwise (lib/docker.js
 * calls `withSession(...)`, lib/modem.js calls `ssh(...)`), so the stand-in is a function that
 * loads the real module at its first call and hands the call on. This module must be imported
 * before `dockerode` (ES modules are evaluated in import order).
 */
import { Module, createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);
/** Resolved from dockerode's own folder, where its dependencies are found. */
const requireDockerode = createRequire(requireHere.resolve('dockerode'));

type Callable = (this: unknown, ...args: unknown[]) => unknown;

function defer(request: string): void {
  const path = requireDockerode.resolve(request);
  if (requireHere.cache[path] !== undefined) return;
  let real: Callable | undefined;
  const standIn: Callable = function (this: unknown, ...args: unknown[]): unknown {
    if (real === undefined) {
      Reflect.deleteProperty(requireHere.cache, path);
      real = requireHere(path) as Callable;
    }
    return real.apply(this, args);
  };
  const cached = new Module(path);
  cached.filename = path;
  cached.loaded = true;
  cached.exports = standIn;
  requireHere.cache[path] = cached;
}

defer('dockerode/lib/session.js');
defer('docker-modem/lib/ssh.js');
