/**
 * The templates in one directory (`config/templates/` next to the configuration file, or
 * `provision.templates`). Files are read on every use: an edited template counts at once,
 * without a restart, and one broken file does not take the others down with it.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { UserError } from '../core/errors.ts';
import type { RenderedWorkload, TemplateCatalog } from '../core/templates.ts';
import { formatIssues } from '../config/problems.ts';
import { resolveParams } from './params.ts';
import { renderTemplate } from './render.ts';
import { templateNameRe, templateSchema, type Template } from './template-schema.ts';

const extension = '.yaml';

export class DirectoryTemplateCatalog implements TemplateCatalog {
  readonly dir: string;
  readonly #secrets: ReadonlyMap<string, string>;

  /** `secrets`: the configuration's named secrets, which `key=secret:<name>` refers to. */
  constructor(dir: string, secrets: ReadonlyMap<string, string> = new Map()) {
    this.dir = dir;
    this.#secrets = secrets;
  }

  async names(): Promise<readonly string[]> {
    let files: string[];
    try {
      files = await readdir(this.dir);
    } catch (error) {
      // No directory means no templates, not a broken bot; `provision` says which exist.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return files
      .filter((f) => f.endsWith(extension))
      .map((f) => f.slice(0, -extension.length))
      .filter((name) => templateNameRe.test(name))
      .sort();
  }

  async load(name: string): Promise<{ readonly template: Template; readonly path: string }> {
    const names = await this.names();
    if (!names.includes(name)) {
      throw new UserError('unknown-template', { name, known: names.join(', ') || '—' });
    }
    const path = join(this.dir, `${name}${extension}`);
    const template = await loadTemplateFile(path);
    if (template.name !== name) {
      throw new UserError('template-invalid', {
        path,
        problems: `name: "${template.name}" differs from the file name "${name}"`,
      });
    }
    return { template, path };
  }

  async render(
    template: string,
    instance: string,
    assignments: readonly string[],
  ): Promise<RenderedWorkload> {
    const loaded = await this.load(template);
    const params = resolveParams(template, loaded.template, assignments, this.#secrets);
    return renderTemplate(loaded.template, loaded.path, instance, params);
  }
}

/** Reads and validates one template file; every problem is named with its place. */
export async function loadTemplateFile(path: string): Promise<Template> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UserError('template-invalid', { path, problems: reason }, { cause: error });
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((error) => {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      return `line ${line}, column ${col}: ${error.message}`;
    });
    throw new UserError('template-invalid', { path, problems: problems.join('; ') });
  }
  const result = templateSchema.safeParse(doc.toJS(), { reportInput: true });
  if (!result.success) {
    throw new UserError('template-invalid', {
      path,
      problems: formatIssues(result.error.issues).join('; '),
    });
  }
  return result.data;
}
