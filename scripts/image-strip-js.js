// @ts-check
// Removes the comments and the indentation from the JavaScript files of the image's
// node_modules (the Dockerfile's build stage runs it): they are half of what those files
// weigh (the generated API client of @kubernetes/client-node alone carries some 16 MB of doc
// comments) and nothing reads them at run time.
//
//   node image-strip-js.js DIR…      prints the bytes before and after
//
// Only whitespace and comments are touched, and only where TypeScript's parser says they
// are. A file is parsed; its comments are read from the whitespace between its syntax nodes
// (never from inside a string, template or regular expression) and cut out, a comment that
// spans lines leaving a line break so that automatic semicolon insertion reads the code as
// before; licence comments (/*! …, @license, @preserve) stay. Then the spaces and tabs that
// begin a line go, unless the line begins inside a string or template. The result is parsed
// again and must have the same syntax tree, node for node, with the same names and literals;
// a file that TypeScript does not parse cleanly, or whose tree would change, is left as it
// was. TypeScript is the one that @mattermost/client names as its peer (npm installs it with
// the production dependencies); it is resolved from the working directory, and its own files
// are left alone (the build removes it afterwards).
import { Buffer } from 'node:buffer';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';

const require = createRequire(join(process.cwd(), 'package.json'));
/** @type {typeof import('typescript')} */
const ts = require('typescript');
const own = dirname(require.resolve('typescript/package.json'));

/** @typedef {import('typescript').Node} Node */
/** @typedef {import('typescript').SourceFile} SourceFile */

/** @param {string} dir @returns {string[]} */
function scripts(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.[cm]?js$/.test(entry.name))
    .map((entry) => resolve(entry.parentPath, entry.name))
    .filter((name) => !name.startsWith(own + sep));
}

/**
 * @param {string} name
 * @param {string} text
 * @returns {SourceFile | undefined} undefined when it does not parse cleanly
 */
function parse(name, text) {
  const file = ts.createSourceFile(name, text, ts.ScriptTarget.ESNext, false, ts.ScriptKind.JS);
  // parseDiagnostics is not in TypeScript's public typings, but every SourceFile has it.
  const diagnostics = /** @type {{ parseDiagnostics?: readonly unknown[] }} */ (
    /** @type {unknown} */ (file)
  ).parseDiagnostics;
  return diagnostics === undefined || diagnostics.length > 0 ? undefined : file;
}

/**
 * Tokens whose text may span lines: a line that begins inside one keeps its spaces.
 * @param {number} kind
 */
function isTextToken(kind) {
  return (
    kind === ts.SyntaxKind.StringLiteral ||
    kind === ts.SyntaxKind.NoSubstitutionTemplateLiteral ||
    kind === ts.SyntaxKind.TemplateHead ||
    kind === ts.SyntaxKind.TemplateMiddle ||
    kind === ts.SyntaxKind.TemplateTail ||
    kind === ts.SyntaxKind.JsxText
  );
}

/**
 * What must not change: every node's kind, in order, and the source text of every token that
 * is a node (names, literals, keywords).
 * @param {SourceFile} file
 */
function shape(file) {
  /** @type {string[]} */
  const parts = [];
  /** @param {Node} node */
  const visit = (node) => {
    const token = node.kind <= ts.SyntaxKind.LastToken;
    parts.push(
      token ? `${node.kind}:${file.text.slice(node.getStart(file), node.end)}` : `${node.kind}`,
    );
    ts.forEachChild(node, visit);
  };
  visit(file);
  return parts.join('\n');
}

/** @param {SourceFile} file */
function commentRanges(file) {
  const text = file.text;
  /** @type {Map<number, import('typescript').CommentRange>} */
  const ranges = new Map();
  /** @param {readonly import('typescript').CommentRange[] | undefined} found */
  const add = (found) => {
    for (const range of found ?? []) ranges.set(range.pos, range);
  };
  // Every run of whitespace begins where a node begins (its pos takes in the whitespace
  // before it) or where one ends; the comments are read from there and nowhere else. From
  // such a place TypeScript calls those before the first line break trailing, the others
  // leading: both are wanted.
  /** @param {Node} node */
  const visit = (node) => {
    for (const at of [node.pos, node.end]) {
      add(ts.getTrailingCommentRanges(text, at));
      add(ts.getLeadingCommentRanges(text, at));
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return [...ranges.values()]
    .filter((range) => {
      const comment = text.slice(range.pos, range.end);
      return !comment.startsWith('/*!') && !/@license|@preserve/.test(comment);
    })
    .sort((a, b) => a.pos - b.pos);
}

/** @param {SourceFile} file */
function stripComments(file) {
  const text = file.text;
  let out = '';
  let last = 0;
  for (const { pos, end } of commentRanges(file)) {
    if (pos < last) continue;
    let start = pos;
    while (start > last && (text[start - 1] === ' ' || text[start - 1] === '\t')) start--;
    let after = end;
    while (after < text.length && (text[after] === ' ' || text[after] === '\t')) after++;
    const lineStart = start === 0 || text[start - 1] === '\n';
    const lineEnd = after === text.length || text[after] === '\n' || text[after] === '\r';
    if (lineStart && lineEnd) {
      // The comment is the whole line (or lines): they go, the line break before them stays.
      if (text[after] === '\r') after++;
      if (text[after] === '\n') after++;
      out += text.slice(last, start);
      last = after;
    } else {
      const breaks = /[\n\r\u2028\u2029]/.test(text.slice(pos, end));
      out += text.slice(last, pos) + (breaks ? '\n' : ' ');
      last = end;
    }
  }
  return out + text.slice(last);
}

/** @param {SourceFile} file */
function stripIndentation(file) {
  const text = file.text;
  /** @type {[number, number][]} */
  const kept = [];
  /** @param {Node} node */
  const visit = (node) => {
    if (isTextToken(node.kind)) kept.push([node.getStart(file), node.end]);
    ts.forEachChild(node, visit);
  };
  visit(file);
  kept.sort((a, b) => a[0] - b[0]);
  let out = '';
  let last = 0;
  let k = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) {
    const line = i + 1;
    while (k < kept.length && (kept[k]?.[1] ?? 0) <= line) k++;
    const token = kept[k];
    if (token !== undefined && token[0] < line) continue;
    let end = line;
    while (text[end] === ' ' || text[end] === '\t') end++;
    if (end === line) continue;
    out += text.slice(last, line);
    last = end;
  }
  return out + text.slice(last);
}

/**
 * @param {string} name
 * @param {string} text
 * @returns {string} what to write: text itself when nothing may go
 */
function thin(name, text) {
  const file = parse(name, text);
  if (file === undefined) return text;
  const uncommented = parse(name, stripComments(file));
  if (uncommented === undefined) return text;
  const result = parse(name, stripIndentation(uncommented));
  return result !== undefined && shape(result) === shape(file) ? result.text : text;
}

let before = 0;
let after = 0;
let left = 0;
for (const name of process.argv.slice(2).flatMap(scripts)) {
  const text = readFileSync(name, 'utf8');
  const result = thin(name, text);
  before += Buffer.byteLength(text);
  after += Buffer.byteLength(result);
  if (result === text) left++;
  else writeFileSync(name, result);
}
process.stdout.write(
  `image-strip-js: ${before} -> ${after} bytes of JavaScript (${left} files as they were)\n`,
);
