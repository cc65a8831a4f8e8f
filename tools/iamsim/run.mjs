// run.mjs runs @cloud-copilot/iam-simulate on many cases in one process, for
// iamdiag's differential test (package internal/simulate/differential, run by
// internal/simulate/differential_test.go).
//
// Input (stdin, or the file named by the first argument): either a JSON array
// of cases or one case per line (JSON lines). A case is
//   {"id": "...", "simulation": <iam-simulate Simulation>}
// Output (stdout): one JSON object per case and per line, in input order:
//   {"id", "resultType", "overall", "error", "errorDetail", "sameAccount",
//    "blockedBy", "ignoredContextKeys", "layers": {...}}
// where layers summarises iam-simulate's per-layer analysis (result and the
// deciding statements of each layer, SCP/RCP per level) so that the Go side
// can compare the decision and the set of blocking layers.
//
// iam-simulate is AGPL: it is installed from npm (package-lock.json pins it)
// and only executed; none of its code is copied into iamdiag.
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { runSimulation } from '@cloud-copilot/iam-simulate'

/** stmtIDs names the statements of an analysis list as "policy/sid-or-index". */
function stmtIDs(list) {
  return (list || []).map((s) => `${s.policyId ?? ''}/${s.explain?.identifier ?? ''}`)
}

/** layer summarises an identity-like or resource analysis. */
function layer(a, withPrincipal) {
  if (!a) return null
  const out = { result: a.result, deny: stmtIDs(a.denyStatements), allow: stmtIDs(a.allowStatements) }
  if (withPrincipal) {
    out.allowPrincipalMatch = (a.allowStatements || []).map((s) => s.principalMatch)
    out.denyPrincipalMatch = (a.denyStatements || []).map((s) => s.principalMatch)
  }
  return out
}

/** org summarises an SCP or RCP analysis level by level. */
function org(a) {
  if (!a) return null
  return {
    result: a.result,
    levels: (a.ouAnalysis || []).map((ou) => ({
      org: ou.orgIdentifier,
      result: ou.result,
      deny: stmtIDs(ou.denyStatements),
      allow: stmtIDs(ou.allowStatements)
    }))
  }
}

function summarise(analysis) {
  return {
    sameAccount: analysis.sameAccount,
    blockedBy: analysis.blockedBy || [],
    layers: {
      session: layer(analysis.sessionAnalysis, false),
      identity: layer(analysis.identityAnalysis, false),
      boundary: layer(analysis.permissionBoundaryAnalysis, false),
      resource: layer(analysis.resourceAnalysis, true),
      scp: org(analysis.scpAnalysis),
      rcp: org(analysis.rcpAnalysis),
      endpoint: layer(analysis.endpointAnalysis, false)
    }
  }
}

async function runCase(c) {
  const out = { id: c.id }
  try {
    const res = await runSimulation(c.simulation, { simulationMode: 'Strict' })
    out.resultType = res.resultType
    if (res.resultType === 'error') {
      out.error = res.errors.message
      out.errorDetail = res.errors
      return out
    }
    out.overall = res.overallResult
    if (res.resultType === 'single') {
      Object.assign(out, summarise(res.result.analysis))
      out.ignoredContextKeys = res.result.ignoredContextKeys || []
    } else {
      // A wildcard resource runs several simulations; the Go side does not
      // send such requests, so only the overall result is reported.
      out.patterns = res.results.map((r) => r.resourcePattern)
    }
  } catch (e) {
    out.resultType = 'exception'
    out.error = String(e && e.stack ? e.stack : e)
  }
  return out
}

async function* cases() {
  const file = process.argv[2]
  if (file && file !== '-') {
    const text = readFileSync(file, 'utf8')
    yield* parseAll(text)
    return
  }
  // Peek: a JSON array is read whole, JSON lines are streamed.
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })
  let buffered = null
  for await (const line of rl) {
    if (buffered !== null) {
      buffered.push(line)
      continue
    }
    const t = line.trim()
    if (t === '') continue
    if (t.startsWith('[')) {
      buffered = [line]
      continue
    }
    yield JSON.parse(t)
  }
  if (buffered !== null) yield* JSON.parse(buffered.join('\n'))
}

function parseAll(text) {
  const t = text.trim()
  if (t.startsWith('[')) return JSON.parse(t)
  return t
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l))
}

for await (const c of cases()) {
  const r = await runCase(c)
  if (!process.stdout.write(JSON.stringify(r) + '\n')) {
    await new Promise((resolve) => process.stdout.once('drain', resolve))
  }
}
