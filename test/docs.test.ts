/**
 * The documentation cannot go stale unnoticed: the API reference (TypeDoc, from the TSDoc
 * comments of the public API) builds without a single warning — no broken {@link}, no public
 * signature that mentions a type the package does not export — and docs/CLI.md is exactly what
 * the commands print for --help. Links between the Markdown files of docs/ and README.md resolve,
 * and every benchmark section names the script that produced it.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

import { main } from '../lib/cli/main';
import { projectRoot } from './helpers/shared';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const cliDocs = require('../scripts/cli-docs.js') as {
  collect: (main: (argv: readonly string[], out: (s: string) => void, err: (s: string) => void) => Promise<number>) => Promise<unknown>;
  render: (collected: unknown) => string;
  target: string;
};

const typedocBin = join(projectRoot, 'node_modules', 'typedoc', 'bin', 'typedoc');

/** Runs TypeDoc with the project's typedoc.json plus `args`; resolves with its exit code and output. */
function typedoc(args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [typedocBin, ...args], { cwd: projectRoot, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (output += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (output += s));
    child.once('error', fail);
    child.once('exit', (code) => done({ code, output }));
  });
}

const problems = (output: string): string[] => output.split('\n').filter((l) => /\[(warning|error)\]/.test(l) && !/Found \d+ errors? and \d+ warnings?/.test(l));

describe('documentation', () => {
  it('typedoc.json: the three entry points (root, testing, worker) into docs/api, internals out, warnings are errors', () => {
    const config = JSON.parse(readFileSync(join(projectRoot, 'typedoc.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({
      entryPoints: ['lib/index.ts', 'lib/testing.ts', 'lib/worker/index.ts'],
      out: 'docs/api',
      excludeInternal: true,
      excludePrivate: true,
      treatWarningsAsErrors: true,
      validation: { notExported: true, invalidLink: true, rewrittenLink: true },
    });
    expect(readFileSync(join(projectRoot, '.gitignore'), 'utf8')).toMatch(/^docs\/api\/$/m);
    const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['docs:api']).toBe('typedoc');
  });

  it('the API reference builds from the TSDoc comments without a warning', async () => {
    const out = await mkdtemp(join(tmpdir(), 'dinov3-api-'));
    try {
      const { code, output } = await typedoc(['--out', out]);
      const found = problems(output);
      expect(
        found,
        'TypeDoc warnings: fix the doc comment ({@link} targets must be exported from lib/index.ts), ' +
          'export the type from lib/index.ts, or list a deliberately private type in typedoc.json intentionallyNotExported',
      ).toEqual([]);
      expect(code, output).toBe(0);
      // the public API is there, internals are not
      // one module per entry point: dinov3-trt, dinov3-trt/testing, dinov3-trt/worker
      expect(readdirSync(join(out, 'modules')).sort()).toEqual(['dinov3-trt.html', 'dinov3-trt_testing.html', 'dinov3-trt_worker.html']);
      const classes = readdirSync(join(out, 'classes'));
      expect(classes).toEqual(expect.arrayContaining(['dinov3-trt.Model.html', 'dinov3-trt.Features.html', 'dinov3-trt.DinoError.html', 'dinov3-trt_testing.OnnxGraphBuilder.html']));
      expect(readdirSync(join(out, 'functions'))).toEqual(
        expect.arrayContaining(['dinov3-trt.loadModel.html', 'dinov3-trt.renderHeatmap.html', 'dinov3-trt.capabilities.html', 'dinov3-trt_worker.startWorker.html', 'dinov3-trt_testing.writeTinyDinov3.html']),
      );
      const model = readFileSync(join(out, 'classes', 'dinov3-trt.Model.html'), 'utf8');
      expect(model).toContain('id="extract"');
      expect(model).not.toContain('id="constructor"'); // @internal
      expect(classes.filter((c) => c.includes('Limiter'))).toEqual([]);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 120_000);

  it('the same configuration fails on a broken {@link} and on an unexported type in a signature', async () => {
    await mkdir(join(projectRoot, '.cache'), { recursive: true }); // inside the package, as lib/ is (git-ignored)
    const dir = await mkdtemp(join(projectRoot, '.cache', 'typedoc-check-'));
    try {
      await writeFile(join(dir, 'hidden.ts'), 'export interface Hidden { x: number }\n');
      await writeFile(
        join(dir, 'entry.ts'),
        ["import type { Hidden } from './hidden';", '/** Uses {@link NoSuchThing}. */', 'export function broken(h: Hidden): number { return h.x; }', ''].join('\n'),
      );
      await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, types: [], skipLibCheck: true }, files: ['entry.ts'] }));
      // the project's options, only the entry point and tsconfig replaced
      await writeFile(
        join(dir, 'typedoc.json'),
        JSON.stringify({ extends: [join(projectRoot, 'typedoc.json')], entryPoints: ['entry.ts'], tsconfig: 'tsconfig.json', intentionallyNotExported: [] }),
      );
      const { code, output } = await typedoc(['--options', join(dir, 'typedoc.json'), '--emit', 'none']);
      expect(output).toMatch(/Failed to resolve link to "NoSuchThing"/);
      expect(output).toMatch(/Hidden, defined in .*hidden\.ts, is referenced by broken.* but not included in the documentation/);
      expect(code).not.toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('docs/CLI.md is what the commands print for --help (regenerate: npm run docs:cli)', async () => {
    const expected = cliDocs.render(await cliDocs.collect(main));
    const actual = existsSync(cliDocs.target) ? readFileSync(cliDocs.target, 'utf8') : '';
    expect(actual === expected, 'docs/CLI.md is stale: run `npm run docs:cli`').toBe(true);
    expect(actual).toMatch(/## dinov3 segment/);
  });

  it('relative links and #anchors in README.md and docs/*.md resolve', () => {
    const files = ['README.md', ...readdirSync(join(projectRoot, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
    const withoutCode = (text: string): string => text.replace(/```[\s\S]*?```/g, '');
    // GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens
    const anchors = (path: string): Set<string> =>
      new Set(
        [...withoutCode(readFileSync(path, 'utf8')).matchAll(/^#{1,6} +(.+)$/gm)].map((h) =>
          h[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/ /g, '-'),
        ),
      );
    const broken: string[] = [];
    for (const file of files) {
      const text = withoutCode(readFileSync(join(projectRoot, file), 'utf8'));
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const [link = '', anchor] = m[1]!.split('#');
        if (/^[a-z]+:/i.test(link)) continue; // URLs
        const path = link === '' ? join(projectRoot, file) : resolve(dirname(join(projectRoot, file)), link);
        if (path.startsWith(join(projectRoot, 'docs', 'api'))) continue; // generated
        if (!existsSync(path)) broken.push(`${file}: ${m[1]} (no such file)`);
        else if (anchor && path.endsWith('.md') && !anchors(path).has(anchor)) broken.push(`${file}: ${m[1]} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('every section of docs/BENCHMARKS.md names the bench/ script that produced its figures, and it exists', () => {
    const text = readFileSync(join(projectRoot, 'docs', 'BENCHMARKS.md'), 'utf8');
    const sections = text.split(/^## /m).slice(1);
    expect(sections.length).toBeGreaterThan(5);
    const missing: string[] = [];
    for (const section of sections) {
      const title = section.split('\n')[0]!;
      const scripts = [...section.matchAll(/\bbench\/[\w./-]+\.(?:mjs|cjs|ts|sh|py)\b/g)].map((m) => m[0]);
      if (scripts.length === 0) missing.push(`${title}: no bench/ script named`);
      for (const script of scripts) if (!existsSync(join(projectRoot, script))) missing.push(`${title}: ${script} does not exist`);
    }
    expect(missing).toEqual([]);
  });
});
