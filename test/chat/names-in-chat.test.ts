/**
 * A file's or folder's name from a volume or a snapshot, whatever it holds (line breaks,
 * terminal escapes, bidi controls, U+FFFD, markdown, HTML, mentions), reaches people as one
 * visible line inside code, in the terminal, in Mattermost and in Matrix: a drill's reason, a
 * `backup files` listing, a `restore --path` plan and its refusals. Each answer is rendered
 * with a hostile name and with a plain one: the two have the same lines, and the hostile
 * parts are only ever inside code, where no front end reads markup or mentions.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { codeName } from '../../src/backup/printable-name.ts';
import { checkAncestors } from '../../src/backup/restore-files.ts';
import { localSite } from '../../src/backup/volume-access.ts';
import { compareTree, measureTree } from '../../src/backup/tree-walk.ts';
import type { TreeEntry } from '../../src/backup/types.ts';
import { renderMessage as renderMattermost } from '../../src/chat/mattermost/render.ts';
import { renderMessage as renderMatrix } from '../../src/chat/matrix/render.ts';
import { renderForTerminal } from '../../src/chat/terminal/render.ts';
import type { VerifyReport } from '../../src/core/backup.ts';
import { createLogger } from '../../src/core/logger.ts';
import type { Message } from '../../src/core/message.ts';
import { outcomeFromError } from '../../src/core/outcome.ts';
import { admin, createBed, invoke, type Bed } from '../golden/bed.ts';
import { goldenPlatform } from '../golden/platform.ts';

/** A link's folder: a name holds no `/`, a path does. */
const linkFolder = '[click](https:';
/** One name with everything a front end could misread. */
const hostileName =
  'evil.example) x\n@channel @here **bold** _it_ <b>b<img src=x onerror=alert(1)> `tick` ' +
  '\u202eexe.txt\u2066\x1b[2J\x07\u0085\u2028\u200b\ufffd\\n end ';
const hostile = `${linkFolder}/${hostileName}`;
const plain = 'plain/name.txt';

/** What must never stand outside code: markup, a link, a mention, HTML. */
const fragments = [
  'channel',
  'here',
  'bold',
  '_it_',
  '<b>',
  '&lt;b&gt;',
  'onerror',
  'evil',
  'click',
  'tick',
];
/**
 * Characters no rendering may carry: controls but the line break, C1, separators, bidi
 * controls, U+FFFD.
 */
const invisible =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffd]/;

/** Text outside code spans (as Mattermost's server looks for mentions). */
function outsideCode(markdown: string): string {
  return markdown.replace(/`[^`\n]+`/g, ' ');
}

/** Text outside `<code>` and `<pre>` in Matrix's HTML. */
function outsideHtmlCode(html: string): string {
  return html.replace(/<pre><code[^>]*>[^<]*<\/code><\/pre>|<code>[^<]*<\/code>/g, ' ');
}

interface Views {
  readonly terminal: string;
  readonly coloured: string;
  readonly mattermost: string;
  readonly fallback: string;
  readonly matrixBody: string;
  readonly matrixHtml: string;
  readonly mentions: unknown;
}

function views(message: Message): Views {
  const post = renderMattermost(message, 'en');
  const [attachment] = post.attachments;
  const event = renderMatrix(message, 'en');
  return {
    terminal: renderForTerminal(message, { colour: false }),
    coloured: renderForTerminal(message, { colour: true }),
    mattermost: [attachment?.title ?? '', attachment?.text ?? '']
      .concat((attachment?.fields ?? []).map((f) => `${f.title}: ${f.value}`))
      .join('\n'),
    fallback: attachment?.fallback ?? '',
    matrixBody: String(event.content['body']),
    matrixHtml: String(event.content['formatted_body']),
    mentions: event.content['m.mentions'],
  };
}

const lines = (text: string): number => text.split('\n').length;

/**
 * The answer with the hostile name has the lines of the same answer with a plain name, in
 * each front end; nothing invisible; the hostile parts only inside code; in Matrix, no tag
 * but the renderer's own and no mention.
 */
function expectSafe(hostileMessage: Message, plainMessage: Message, name: string): void {
  const bad = views(hostileMessage);
  const good = views(plainMessage);
  expect(lines(bad.terminal)).toBe(lines(good.terminal));
  expect(lines(bad.mattermost)).toBe(lines(good.mattermost));
  expect(lines(bad.matrixBody)).toBe(lines(good.matrixBody));
  expect(lines(bad.matrixHtml)).toBe(lines(good.matrixHtml));
  expect(bad.matrixHtml.split('<br>')).toHaveLength(good.matrixHtml.split('<br>').length);
  for (const text of [bad.terminal, bad.mattermost, bad.fallback, bad.matrixBody, bad.matrixHtml]) {
    expect(text).not.toMatch(invisible);
  }
  // On a TTY only the renderer's own colours, and nothing inside code taken as bold.
  // eslint-disable-next-line no-control-regex
  const sgr = /\x1b\[[0-9;]*m/g;
  expect(bad.coloured.replace(sgr, '')).not.toMatch(invisible);
  expect(bad.coloured.replace(sgr, '')).toBe(bad.terminal.replace(/`([^`\n]+)`/g, '$1'));
  for (const fragment of fragments) {
    expect(outsideCode(bad.terminal), fragment).not.toContain(fragment);
    expect(outsideCode(bad.mattermost), fragment).not.toContain(fragment);
    expect(outsideCode(bad.matrixBody), fragment).not.toContain(fragment);
    expect(outsideHtmlCode(bad.matrixHtml), fragment).not.toContain(fragment);
  }
  const tags = [...bad.matrixHtml.matchAll(/<\/?([a-z0-9]+)/gi)].map((m) => m[1]);
  expect(tags.filter((t) => !['strong', 'br', 'code', 'pre'].includes(t ?? ''))).toEqual([]);
  expect(bad.matrixHtml).not.toMatch(/<a\s/);
  expect(bad.mentions).toEqual({});
  // The name itself is there, escaped, to read.
  expect(bad.terminal).toContain(name);
}

let dir: string;
let bed: Bed;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pes-names-in-chat-'));
  bed = createBed(goldenPlatform());
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The message of a verify whose drill compared a tree holding `name` with its record. */
async function drillFailure(name: string): Promise<Message> {
  const root = mkdtempSync(join(dir, 'tree-'));
  const [folder] = name.split('/');
  if (name.includes('/') && folder !== undefined) mkdirSync(join(root, folder));
  writeFileSync(join(root, name), 'a');
  const old = new Date(Date.now() - 3_600_000);
  utimesSync(join(root, name), old, old);
  const measured = await measureTree(root, { samplesBefore: new Date() });
  expect(measured.samples.map((s) => s.path)).toEqual([name]);
  // The same size, another content: the sample differs.
  writeFileSync(join(root, name), 'b');
  const compared = await compareTree(root, {
    files: measured.figures.files,
    bytes: measured.figures.bytes,
    sha256: measured.figures.listDigest,
    samples: measured.samples,
  });
  expect(compared.problems).toHaveLength(1);
  const report: VerifyReport = {
    service: 'moodle',
    subset: '10%',
    checkError: undefined,
    drills: [
      {
        source: 'volume:moodledata',
        snapshotId: 'aaaaaaa7',
        time: new Date('2026-12-05T22:00:00Z'),
        ok: false,
        problem: 'mismatch',
        expected: undefined,
        actual: undefined,
        reason: compared.problems.join('; '),
      },
    ],
    cleanup: [],
    ok: false,
    durationMs: 1000,
  };
  const spy = vi.spyOn(bed.backups.service, 'verify').mockResolvedValue(report);
  try {
    const run = await invoke(bed, admin, 'verify moodle', 'en');
    expect(run.outcome.errorCode).toBe('backup-verify-failed');
    return run.outcome.message;
  } finally {
    spy.mockRestore();
  }
}

describe('a name from a volume in a drill’s reason', () => {
  it('is one line of code in every front end', async () => {
    // A name with U+FFFD in it is never a sample: it may not be the file's own (tree-walk.ts).
    const name = hostile.replace('\ufffd', '');
    const bad = await drillFailure(name);
    expect(bad.text).toContain(`${codeName(name)}: sha256 differs`);
    expectSafe(bad, await drillFailure(plain), codeName(name));
  });
});

/** A file-level snapshot of moodledata whose listing is `entries`. */
function filesSnapshot(entries: readonly TreeEntry[], on: Bed = bed): string {
  const h = on.backups;
  const job = `files-${h.engine.stored.length}`;
  const id = `f${String(h.engine.stored.length).padStart(7, '0')}`;
  h.ledger.startRun({ job, jobId: undefined, service: 'moodle', at: new Date() });
  h.engine.stored.push({
    id,
    time: new Date('2026-12-05T22:00:00Z'),
    tags: { service: 'moodle', source: 'volume:moodledata', job, extra: [] },
    filename: 'moodledata',
    kind: 'files',
    data: Buffer.alloc(0),
  });
  h.ledger.recordManifest({
    snapshotId: id,
    service: 'moodle',
    source: 'volume:moodledata',
    job,
    bytes: 8,
    sha256: 'a'.repeat(64),
    files: 2,
    kind: 'files',
    createdAt: new Date(),
  });
  h.ledger.completeRun(job, new Date());
  h.engine.listTree = () => Promise.resolve([...entries]);
  return id;
}

function listing(name: string): TreeEntry[] {
  const [folder] = name.split('/');
  return [
    { type: 'dir', path: folder ?? '', perm: 0o755, uid: 0, gid: 0, size: 0 },
    { type: 'file', path: name, perm: 0o644, uid: 0, gid: 0, size: 3 },
    { type: 'file', path: 'ok.txt', perm: 0o644, uid: 0, gid: 0, size: 5 },
  ];
}

describe('an error that names a file, in a drill’s reason', () => {
  it('is one line of code in every front end', async () => {
    const answer = async (name: string): Promise<[Message, string]> => {
      const fresh = createBed(goldenPlatform());
      filesSnapshot(listing('other/file'), fresh);
      const root = mkdtempSync(join(dir, 'scratch-'));
      fresh.backups.drillTarget = () =>
        Promise.resolve({
          consume: () => Promise.reject(new Error('a volume of files')),
          open: () => Promise.resolve(localSite(root)),
          remove: () => Promise.resolve(),
        });
      // As Node says it when the walk or the engine cannot read a file.
      const said = `EACCES: permission denied, open '${root}/${name}'`;
      fresh.backups.engine.restoreTree = () => Promise.reject(new Error(said));
      const run = await invoke(fresh, admin, 'verify moodle', 'en');
      expect(run.outcome.errorCode).toBe('backup-verify-failed');
      return [run.outcome.message, codeName(said)];
    };
    const [bad, shown] = await answer(hostile);
    expect(bad.text).toContain(`(f0000000): ${shown}.`);
    expectSafe(bad, (await answer(plain))[0], shown);
  });
});

describe('names from a snapshot', () => {
  it('backup files: one table row each', async () => {
    const answer = async (name: string): Promise<Message> => {
      const id = filesSnapshot(listing(name));
      const run = await invoke(bed, admin, `backup files moodle ${id}`, 'en');
      expect(run.outcome.status).toBe('ok');
      return run.outcome.message;
    };
    const bad = await answer(hostile);
    const good = await answer(plain);
    expect(bad.code?.content.split('\n')).toHaveLength(good.code?.content.split('\n').length ?? 0);
    expect(bad.code?.content).not.toMatch(invisible);
    const v = views(bad);
    const g = views(good);
    expect(lines(v.terminal)).toBe(lines(g.terminal));
    expect(lines(v.mattermost)).toBe(lines(g.mattermost));
    expect(lines(v.matrixBody)).toBe(lines(g.matrixBody));
    // eslint-disable-next-line no-control-regex
    const coloured = v.coloured.replace(/\x1b\[[0-9;]*m/g, '');
    for (const text of [v.terminal, coloured, v.mattermost, v.matrixBody, v.matrixHtml]) {
      expect(text).not.toMatch(invisible);
    }
    // In a code block: Mattermost's fence outgrows the backticks, Matrix escapes the HTML.
    expect(v.matrixHtml).not.toContain('<b>');
    expect(v.mattermost.split('\n').filter((l) => /^`{3,}$/.test(l))).toHaveLength(2);
  });

  it('restore --path: the plan names each matched path as one line of code', async () => {
    const answer = async (name: string): Promise<Message> => {
      const id = filesSnapshot(listing(name));
      // A glob: the names come from the snapshot, not from the person.
      const [folder] = name.split('/');
      const glob = `${(folder ?? '').replace(/[[*?]/g, '?')}/*`;
      const run = await invoke(bed, admin, `restore moodle ${id} --path '${glob}' --dry-run`, 'en');
      expect(run.outcome.status, run.outcome.message.text).toBe('ok');
      return run.outcome.message;
    };
    // A name with U+FFFD is not restored by --path (restore-paths.ts): its folder is.
    const name = hostile.replace('\ufffd', '');
    const bad = await answer(name);
    expect(bad.text).toContain(codeName(name));
    expectSafe(bad, await answer(plain), codeName(name));
  });

  it('restore --path of a name the snapshot does not hold', async () => {
    const answer = async (name: string): Promise<Message> => {
      const id = filesSnapshot(listing('other/file'));
      // Typed with its line break written out, as the person could copy it from a listing.
      const run = await invoke(
        bed,
        admin,
        `restore moodle ${id} --path '${name.replace(/'/g, '')}*' --dry-run`,
        'en',
      );
      expect(run.outcome.errorCode).toBe('backup-path-not-found');
      return run.outcome.message;
    };
    const typed = '@channel **b** [x](https:/evil.example) <b>\u202e';
    const bad = await answer(typed);
    expect(bad.text).toContain(codeName(`${typed}*`, 60));
    expectSafe(bad, await answer('plain'), codeName(`${typed}*`, 60));
  });

  it('a folder above a restored path that is a link, in the live volume', async () => {
    const refusal = async (name: string): Promise<Message> => {
      const root = mkdtempSync(join(dir, 'live-'));
      symlinkSync('/tmp', join(root, name));
      const error = await checkAncestors(root, `${name}/x`, 'moodledata').catch((e: unknown) => e);
      const outcome = outcomeFromError(error, 'en', createLogger({ level: 'silent' }));
      expect(outcome.errorCode).toBe('backup-path-unsafe');
      return outcome.message;
    };
    const bad = await refusal(hostileName);
    expect(bad.text).toContain(codeName(`${hostileName}/x`));
    expectSafe(bad, await refusal('plain'), codeName(`${hostileName}/x`));
  });
});
