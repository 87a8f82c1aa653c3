/**
 * The live page: the MJPEG view, FPS and stage timings (server-sent events), controls for
 * mode, k and alpha, and click-to-query (clicking the picture shows that patch's similarity
 * heatmap, live). Plain HTML and script, no external resources.
 * Internal: not part of the public API.
 * @module
 */

const escape = (text: string): string => text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The document head both pages share, up to the page's own styles. */
const head = (safeTitle: string): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${safeTitle}</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 0; background: #111; color: #eee; }
`;

export function livePage(title: string): string {
  const safe = escape(title);
  return `${head(safe)}  header { padding: 8px 12px; display: flex; gap: 16px; align-items: center; flex-wrap: wrap; background: #1c1c1c; }
  header h1 { font-size: 16px; margin: 0 12px 0 0; }
  label { display: inline-flex; gap: 6px; align-items: center; }
  #view { display: block; max-width: 100%; cursor: crosshair; margin: 0 auto; }
  #stats { font-family: ui-monospace, monospace; padding: 6px 12px; color: #9f9; white-space: pre; }
  button.active { background: #2a6; color: #fff; }
</style>
</head>
<body>
<header>
  <h1>${safe}</h1>
  <span>
    <button id="mode-segment" data-mode="segment">segment</button>
    <button id="mode-heatmap" data-mode="heatmap">heatmap</button>
    <button id="mode-pca" data-mode="pca">pca</button>
  </span>
  <label>k <input id="k" type="range" min="2" max="12" step="1"><output id="k-value"></output></label>
  <label>alpha <input id="alpha" type="range" min="0" max="1" step="0.05"><output id="alpha-value"></output></label>
  <span>click the picture to query a patch</span>
</header>
<img id="view" src="stream.mjpg" alt="live view">
<div id="stats">waiting for frames…</div>
<script>
  const view = document.getElementById('view');
  const stats = document.getElementById('stats');
  const k = document.getElementById('k');
  const alpha = document.getElementById('alpha');
  let settings = {};
  async function control(update) {
    const r = await fetch('control', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(update) });
    if (r.ok) show(await r.json());
  }
  function show(s) {
    settings = s;
    k.value = s.k; document.getElementById('k-value').textContent = s.k;
    alpha.value = s.alpha; document.getElementById('alpha-value').textContent = Number(s.alpha).toFixed(2);
    for (const b of document.querySelectorAll('button[data-mode]')) b.classList.toggle('active', b.dataset.mode === s.mode);
  }
  for (const b of document.querySelectorAll('button[data-mode]')) b.onclick = () => control({ mode: b.dataset.mode });
  k.oninput = () => control({ k: Number(k.value) });
  alpha.oninput = () => control({ alpha: Number(alpha.value) });
  view.addEventListener('click', (e) => {
    const r = view.getBoundingClientRect();
    const x = ((e.clientX - r.left) / r.width) * view.naturalWidth;
    const y = ((e.clientY - r.top) / r.height) * view.naturalHeight;
    control({ mode: 'heatmap', point: { x, y } });
  });
  fetch('settings').then((r) => r.json()).then(show);
  const events = new EventSource('events');
  events.onmessage = (m) => {
    const f = JSON.parse(m.data);
    const t = f.timings;
    stats.textContent = 'frame ' + f.index + '  ' + f.fps.toFixed(1) + ' fps  ' + f.width + 'x' + f.height + '  grid ' + f.grid.rows + 'x' + f.grid.cols + '  mode ' + f.mode +
      '\\ncapture ' + t.capture.toFixed(1) + ' ms  preprocess ' + t.preprocess.toFixed(1) + ' ms  inference ' + t.inference.toFixed(1) +
      ' ms  analysis ' + t.analysis.toFixed(1) + ' ms  render ' + t.render.toFixed(1) + ' ms  encode ' + t.encode.toFixed(1) + ' ms  latency ' + t.latency.toFixed(1) + ' ms';
    document.body.dataset.frames = String(f.index + 1);
    document.body.dataset.mode = f.mode;
  };
</script>
</body>
</html>
`;
}

/** The page for several sources: one live page per source (its own controls and timings) in a grid. */
export function gridPage(title: string, streams: number): string {
  const safe = escape(title);
  const columns = Math.ceil(Math.sqrt(streams));
  const rows = Math.ceil(streams / columns);
  const tiles = Array.from({ length: streams }, (_, i) => `  <iframe id="stream-${i}" src="s/${i}/" title="stream ${i}"></iframe>`).join('\n');
  return `${head(safe)}  h1 { font-size: 16px; margin: 0; padding: 8px 12px; background: #1c1c1c; }
  main { display: grid; grid-template-columns: repeat(${columns}, 1fr); gap: 4px; padding: 4px; }
  iframe { width: 100%; height: calc((100vh - 48px) / ${rows}); border: 0; background: #111; }
</style>
</head>
<body>
<h1>${safe} — ${streams} sources, batched</h1>
<main>
${tiles}
</main>
</body>
</html>
`;
}
