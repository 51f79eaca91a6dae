#!/usr/bin/env -S MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=65536 node --max-semi-space-size=1 --initial-old-space-size=32 --no-opt
// Plain JavaScript on purpose: it runs before any TypeScript is loaded, so that an old Node
// gets one clear line instead of a syntax error from deep inside an import.
// The first line sets what ./pes sets, the V8 flags and the malloc settings (why: see there).
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
// Node strips the types of every .ts file as it loads it, with a WebAssembly compiler that
// holds on to its memory (about 35 MB more resident, and a second more at each start).
// The compile cache keeps the stripped and compiled code on disk (NODE_COMPILE_CACHE, else
// the system's temporary directory), so later starts skip both; entries are checked against
// the source, and a cache that cannot be written only means the slow start.
const { default: nodeModule } = await import('node:module');
nodeModule.enableCompileCache?.();
// glibc read the malloc settings of the first line (and of ./pes, or the image) when this
// process started: they are the bot's own, and the programs it runs start without them (why:
// src/backup/engine-launch-input.ts, whose list this is; a pure module, loaded after the
// compile cache is on). Deleted here, before anything runs, so that no program inherits them.
const { botMallocSettings } = await import('../src/backup/engine-launch-input.ts');
for (const name of botMallocSettings) Reflect.deleteProperty(process.env, name);
await import('../src/main.ts');
