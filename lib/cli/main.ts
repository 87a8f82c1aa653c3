#!/usr/bin/env node
/**
 * The `dinov3` command line.
 * @module
 */
import { DinoError, isDinoError } from '../errors';

interface Command {
  usage: string;
  run: (argv: readonly string[], out: (s: string) => void) => Promise<void>;
}

/* eslint-disable @typescript-eslint/no-require-imports */
const COMMANDS: Record<string, { summary: string; load: () => Command }> = {
  info: { summary: 'show a model\'s contract and this machine\'s capabilities', load: () => require('./commands/info') as Command },
  extract: { summary: 'write CLS, register and patch tokens of an image', load: () => require('./commands/extract') as Command },
  kmeans: { summary: 'k-means over a patch-token matrix (.npy)', load: () => require('./commands/kmeans') as Command },
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'Usage: dinov3 <command> [options]   (dinov3 <command> --help for details)',
    '',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

export async function main(argv: readonly string[], out: (s: string) => void = (s) => process.stdout.write(`${s}\n`)): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    out(help());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    out((require('../../package.json') as { version: string }).version);
    return 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    process.stderr.write(`dinov3: unknown command '${name}'\n\n${help()}\n`);
    return 2;
  }
  const command = entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    out(command.usage);
    return 0;
  }
  try {
    await command.run(rest, out);
    return 0;
  } catch (err) {
    const e = isDinoError(err) ? err : new DinoError('ERR_DINO_INTERNAL', err instanceof Error ? err.message : String(err), { cause: err });
    process.stderr.write(`dinov3 ${name}: ${e.message} [${e.code}]\n`);
    if (process.env.DINOV3_DEBUG && e.stack) process.stderr.write(`${e.stack}\n`);
    return e.code === 'ERR_DINO_INVALID_ARGUMENT' ? 2 : 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`dinov3: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
