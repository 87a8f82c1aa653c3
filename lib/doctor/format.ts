/**
 * The doctor's report as text for the terminal and as Markdown for an issue.
 * @module
 */
import type { CheckResult, DoctorReport, MachineFacts } from './types';

const MARK: Record<CheckResult['status'], string> = { passed: 'PASS', failed: 'FAIL', 'not-run': 'SKIP' };

function machineLines(m: MachineFacts): [string, string][] {
  const mod = (x: MachineFacts['modules'][number]): string => `${x.name}: ${x.available ? `loaded${x.version ? ` (${x.version})` : ''}` : `not loaded — ${x.reason ?? (x.compiled ? 'unavailable' : 'not built')}`}`;
  return [
    ['dinov3-trt', `${m.package} (addon ${m.addon}), Node ${m.node}`],
    ['system', `${m.os} ${m.arch}`],
    ['jetson', m.jetson ? `${m.jetson.model ?? 'unknown model'}; L4T ${m.jetson.l4t ?? '?'}; JetPack ${m.jetson.jetpack ?? '? (unknown L4T release)'}` : 'not a Jetson'],
    ['cpu', `${m.cpu.model} × ${m.cpu.cores}, ${m.memoryGiB} GiB`],
    ['gpu', m.gpu.length ? m.gpu.map((g) => `${g.name} (compute ${g.computeCapability}, ${g.memoryGiB} GiB${g.integrated ? ', integrated' : ''})`).join('; ') : 'none'],
    ['cuda', m.cuda.driver || m.cuda.runtime ? `driver ${m.cuda.driver ?? '?'}, runtime ${m.cuda.runtime ?? '?'}${m.cuda.reason ? ` — ${m.cuda.reason}` : ''}` : `unavailable — ${m.cuda.reason ?? ''}`],
    ['tensorrt', m.tensorrt.runtime ? `${m.tensorrt.runtime} (built against ${m.tensorrt.compiled ?? '?'})` : `unavailable — ${m.tensorrt.reason ?? ''}`],
    ['onnxruntime', m.onnxruntime],
    ['gstreamer', m.gstreamer.version ?? `unavailable — ${m.gstreamer.reason ?? ''}`],
    ['nvmm', m.nvmm.available ? 'available' : `unavailable — ${m.nvmm.reason ?? ''}`],
    ['modules', m.modules.map(mod).join('; ')],
  ];
}

const ms = (c: CheckResult): string => (c.ms === undefined ? '' : `${c.ms >= 1000 ? `${(c.ms / 1000).toFixed(1)} s` : `${c.ms} ms`}`);

function verdictLine(r: DoctorReport): string {
  const s = r.summary;
  return `${r.ok ? 'OK' : 'PROBLEMS FOUND'}: ${s.passed} passed, ${s.failed} failed, ${s.notRun} could not run here`;
}

export function toText(r: DoctorReport): string {
  const rows = machineLines(r.machine);
  const w = Math.max(...rows.map(([k]) => k.length));
  return [
    ...rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`),
    '',
    ...r.checks.map((c) => `${MARK[c.status]}  ${c.id.padEnd(28)} ${ms(c).padStart(9)}  ${c.detail}`),
    '',
    verdictLine(r),
  ].join('\n');
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function toMarkdown(r: DoctorReport): string {
  return [
    '# dinov3 doctor report',
    '',
    `${verdictLine(r)} (${r.createdAt})`,
    '',
    '## Machine',
    '',
    '| | |',
    '|---|---|',
    ...machineLines(r.machine).map(([k, v]) => `| ${k} | ${cell(v)} |`),
    '',
    '## Checks',
    '',
    '| result | check | time | detail |',
    '|---|---|---|---|',
    ...r.checks.map((c) => `| ${MARK[c.status]} | ${cell(c.title)} (\`${c.id}\`) | ${ms(c)} | ${cell(c.detail)} |`),
    '',
  ].join('\n');
}
