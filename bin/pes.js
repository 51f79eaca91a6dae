#!/usr/bin/env node
// Plain JavaScript on purpose: it runs before any TypeScript is loaded, so that an old Node
// gets one clear line instead of a syntax error from deep inside an import.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  const lang = process.env.PES_LANG ?? process.env.LC_ALL ?? process.env.LANG ?? '';
  const en = lang.toLowerCase().startsWith('en');
  process.stderr.write(
    en
      ? `pes: Node.js 24 or newer is needed; this is ${process.versions.node}. Run it through npm (npm run pes -- …) or ./pes, which use the Node 24 in node_modules.\n`
      : `pes: нужен Node.js 24 или новее, запущен ${process.versions.node}. Запускайте через npm (npm run pes -- …) или ./pes — они берут Node 24 из node_modules.\n`,
  );
  process.exit(2);
}
// node:sqlite still prints an ExperimentalWarning on Node 24 at first use; it is stable for
// what the bot uses, and the line would only confuse people reading the terminal.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  if (String(warning).includes('SQLite is an experimental feature')) return;
  emitWarning(warning, ...rest);
};
await import('../src/main.ts');
