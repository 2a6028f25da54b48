import { readFileSync, readdirSync } from 'node:fs'
const dir = 'tmp/qa-scratch/prof'
const file = process.argv[2] ?? readdirSync(dir).sort()[0]
const p = JSON.parse(readFileSync(`${dir}/${file}`, 'utf8'))
const dt = p.timeDeltas.reduce((a, b) => a + b, 0)
const self = new Map()
const byId = new Map(p.nodes.map(n => [n.id, n]))
const counts = new Map()
for (const s of p.samples) counts.set(s, (counts.get(s) ?? 0) + 1)
for (const n of p.nodes) {
  const key = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/.*node_modules\//, '').replace(/.*\/work\/main\//, '')}:${n.callFrame.lineNumber}`
  self.set(key, (self.get(key) ?? 0) + (counts.get(n.id) ?? 0))
}
const total = p.samples.length
console.log(file, total, 'samples')
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log((100 * v / total).toFixed(1).padStart(5), k)
