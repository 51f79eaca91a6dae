/** The web server's user as numbers (uid, gid), read in the container with `id`. */
import { requireSuccess, type ContainerExec } from './moodle-cli.ts';

export async function webOwner(
  exec: ContainerExec,
  user: string,
  signal: AbortSignal,
): Promise<{ uid: number; gid: number }> {
  const number = async (flag: '-u' | '-g'): Promise<number> => {
    const out = requireSuccess(
      `id ${flag} ${user}`,
      await exec(['id', flag, '--', user], {}, signal),
    );
    const value = Number(out.stdout.trim());
    if (!Number.isInteger(value) || value < 0) {
      throw new Error(`id ${flag} ${user} printed ${JSON.stringify(out.stdout.slice(0, 40))}`);
    }
    return value;
  };
  return { uid: await number('-u'), gid: await number('-g') };
}
