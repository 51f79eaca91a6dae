/**
 * Measures, or compares with a record, the tree of a volume where it is: in a helper container
 * or a claim pod, which run the bot's image (tree-measure-input.ts says what goes in and out).
 *
 *   node /app/src/backup/tree-measure-cli.ts measure <root>   stdin: {samplesBefore?, …}
 *   node /app/src/backup/tree-measure-cli.ts compare <root>   stdin: {files, bytes, sha256, …}
 *
 * `compare` prints the figures and each sample's outcome (missing, differs, same), never the
 * problems in words: the bot words them itself from what it sent (tree-measure-input.ts).
 *
 * The work is tree-walk.ts's `measureTree` and `compareTree`, the very code of a local volume,
 * so the digests are the same whichever side measured; memory stays bounded by the largest
 * directory and the bot reads one line. stdout is that line; a failure is one line on stderr
 * and a non-zero exit (`treeMeasureRefusedExit` for refused arguments or input, 1 for a failed
 * walk, 128 + the number of a signal that ended it).
 *
 * Only node's own modules and pure modules of src/backup are imported: it runs from the
 * image's sources as they are (Node strips the types).
 */
import { constants } from 'node:os';
import { getSystemErrorMessage } from 'node:util';
import {
  maxRequestBytes,
  parseCompareRequest,
  parseMeasureRequest,
  treeMeasureCommands,
  treeMeasureRefusedExit,
} from './tree-measure-input.ts';
import { compareTree, measureTree } from './tree-walk.ts';

function fail(message: string, code: number): never {
  // A pipe's or a file's writes are synchronous in Node on Linux: the line is out before exit.
  process.stderr.write(`tree-measure: ${message.replace(/\s+/g, ' ').trim()}\n`);
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => process.exit(128 + constants.signals[signal]));
}
process.stdout.on('error', () => process.exit(1));

/** All of stdin (one line), refused beyond the limit. */
async function readInput(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxRequestBytes) {
      fail(`the input is longer than ${maxRequestBytes} bytes`, treeMeasureRefusedExit);
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const line = text.endsWith('\n') ? text.slice(0, -1) : text;
  if (line.includes('\n')) fail('the input is more than one line', treeMeasureRefusedExit);
  return line;
}

/** A file system error as the tools say it (`/data/x: Permission denied`), else the message. */
function described(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (typeof e.errno === 'number' && typeof e.path === 'string') {
    const text = getSystemErrorMessage(e.errno);
    return `${e.path}: ${text.charAt(0).toUpperCase()}${text.slice(1)}`;
  }
  return error instanceof Error ? error.message : String(error);
}

async function main(): Promise<void> {
  const [command, root, ...extra] = process.argv.slice(2);
  if (
    !treeMeasureCommands.some((c) => c === command) ||
    root === undefined ||
    !root.startsWith('/') ||
    extra.length > 0
  ) {
    fail(
      `usage: tree-measure-cli.ts <${treeMeasureCommands.join('|')}> <absolute root>`,
      treeMeasureRefusedExit,
    );
  }
  const line = await readInput();
  let result: unknown;
  if (command === 'measure') {
    const request = parseMeasureRequest(line);
    if (!request.ok) fail(request.reason, treeMeasureRefusedExit);
    const { samplesBefore, ...rest } = request.value;
    result = await measureTree(root, {
      ...rest,
      ...(samplesBefore === undefined ? {} : { samplesBefore: new Date(samplesBefore) }),
    });
  } else {
    const request = parseCompareRequest(line);
    if (!request.ok) fail(request.reason, treeMeasureRefusedExit);
    const { files, skipRootLostFound, ...rest } = request.value;
    const compared = await compareTree(root, { ...rest, files: files ?? undefined }, undefined, {
      ...(skipRootLostFound === undefined ? {} : { skipRootLostFound }),
    });
    result = { figures: compared.figures, samples: compared.samples };
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main().catch((error: unknown) => fail(described(error), 1));
