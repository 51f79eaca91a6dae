/**
 * The SSH host key check for `ssh://` engines, as OpenSSH does it (sshd(8), "SSH_KNOWN_HOSTS
 * FILE FORMAT"): the key the host shows must be listed for it in ~/.ssh/known_hosts or
 * /etc/ssh/ssh_known_hosts. ssh2 accepts any host key unless it is given a verifier, and a
 * Docker engine is root on its host: an unknown or changed key refuses the connection.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function knownHostsFiles(env: NodeJS.ProcessEnv): string[] {
  return [join(env['HOME'] ?? homedir(), '.ssh', 'known_hosts'), '/etc/ssh/ssh_known_hosts'];
}

/** The name a host is listed under: `host`, or `[host]:port` on another port than 22. */
function listedName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function wildcard(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/** One pattern of the host field: a name (with * and ?), or a hashed one, `|1|salt|hash`. */
function patternMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt = '', hash = ''] = pattern.split('|');
    const ours = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
    const theirs = Buffer.from(hash, 'base64');
    return ours.length === theirs.length && timingSafeEqual(ours, theirs);
  }
  return wildcard(pattern).test(name);
}

function hostMatches(field: string, name: string): boolean {
  let matched = false;
  for (const pattern of field.split(',')) {
    if (pattern.startsWith('!')) {
      if (patternMatches(pattern.slice(1), name)) return false;
    } else if (patternMatches(pattern, name)) {
      matched = true;
    }
  }
  return matched;
}

/**
 * A verifier for ssh2's `hostVerifier`: it gets the host's key as the SSH wire blob, the
 * same bytes as the base64 field of a known_hosts line. A key listed as @revoked is refused
 * even when listed plainly too; @cert-authority lines are not supported (no match).
 */
export function knownHostsVerifier(
  host: string,
  port: number,
  files: readonly string[],
): (key: Buffer) => boolean {
  const name = listedName(host, port);
  return (key) => {
    let trusted = false;
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      for (const raw of text.split('\n')) {
        const fields = raw.trim().split(/\s+/);
        if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) continue;
        const marker = fields[0].startsWith('@') ? fields.shift() : undefined;
        const [hosts = '', , blob = ''] = fields;
        if (marker === '@cert-authority' || !hostMatches(hosts, name)) continue;
        const listed = Buffer.from(blob, 'base64');
        if (listed.length !== key.length || !timingSafeEqual(listed, key)) continue;
        if (marker === '@revoked') return false;
        trusted = true;
      }
    }
    return trusted;
  };
}
