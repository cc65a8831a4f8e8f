// bench.mjs times @cloud-copilot/iam-simulate on one exported request (the
// file written by `go test ./bench -run TestSeedConsistent -export FILE`):
// runSimulation (validates the policies, the action and the context keys,
// then evaluates) and runUnsafeSimulation (evaluation only; it ignores
// session policies). It prints one line per function, in the format of Go's
// benchmark output, so bench/compare.sh can read both sides alike:
//   BenchmarkIAMSimulate/runSimulation  N  X ns/op
import { readFileSync } from 'node:fs'
import { runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate'

const file = process.argv[2]
if (!file) {
  console.error('usage: node bench.mjs EXPORTED.json [seconds]')
  process.exit(2)
}
const seconds = Number(process.argv[3] || '2')
const input = JSON.parse(readFileSync(file, 'utf8'))
const simulation = input.simulation

async function time(name, fn) {
  // Warm up the JIT and iam-data's lazy loads.
  for (let i = 0; i < 200; i++) await fn()
  const budget = BigInt(Math.round(seconds * 1e9))
  let n = 0
  const start = process.hrtime.bigint()
  let elapsed = 0n
  while (elapsed < budget) {
    for (let i = 0; i < 100; i++) await fn()
    n += 100
    elapsed = process.hrtime.bigint() - start
  }
  const nsPerOp = Number(elapsed) / n
  console.log(`BenchmarkIAMSimulate/${name}\t${n}\t${nsPerOp.toFixed(0)} ns/op`)
}

const first = await runSimulation(simulation, {})
if (first.resultType === 'error') {
  console.error('iam-simulate rejected the exported simulation:', JSON.stringify(first.errors))
  process.exit(1)
}
console.log(`# iam-simulate: ${first.overallResult} (iamdiag: ${input.decision})`)
await time('runSimulation', () => runSimulation(simulation, {}))
await time('runUnsafeSimulation', () => runUnsafeSimulation(simulation, {}))
