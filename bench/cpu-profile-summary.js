'use strict';
// Top frames of a V8 .cpuprofile by self time: node bench/cpu-profile-summary.js FILE [N]
const fs = require('node:fs');

const [file, top = '25'] = process.argv.slice(2);
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfUs = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const frames = new Map();
let total = 0;
for (const [id, us] of selfUs) {
  const { callFrame } = byId.get(id);
  const where = callFrame.url
    ? callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/dist\//, 'dist/')
    : '';
  const key = `${callFrame.functionName || '(anonymous)'} ${where}:${callFrame.lineNumber + 1}`;
  frames.set(key, (frames.get(key) ?? 0) + us);
  total += us;
}
// Self time grouped by package (or dist/ for our code, (native) for V8 and the runtime).
const packages = new Map();
for (const [key, us] of frames) {
  const where = key.slice(key.lastIndexOf(' ') + 1);
  const pkg = where.startsWith('dist/')
    ? 'portcullis (dist/)'
    : where.startsWith('node:')
      ? 'node core'
      : where.startsWith(':')
        ? '(native/V8/GC/idle)'
        : where
            .split('/')
            .slice(0, where.startsWith('@') ? 2 : 1)
            .join('/');
  packages.set(pkg, (packages.get(pkg) ?? 0) + us);
}
const pct = (us) => `${((100 * us) / total).toFixed(1)}%`.padStart(6);
console.log(`total sampled ${(total / 1e6).toFixed(2)} s\n\nself time by package:`);
for (const [pkg, us] of [...packages].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
  console.log(`${pct(us)}  ${pkg}`);
}
console.log('\ntop frames by self time:');
for (const [key, us] of [...frames].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) {
  console.log(`${pct(us)}  ${key}`);
}
