#!/usr/bin/env bash
# compare.sh runs iamdiag's end-to-end benchmarks and @cloud-copilot/iam-simulate
# on the same request and layers (the seed incident's ec2:RunInstances call,
# resolved from internal/layers/testdata/realistic/snapshot.json), then prints
# a table of ns/op and the ratio to iamdiag's explained diagnosis.
#
# Usage: bench/compare.sh [benchtime]   (default 2s; Node runs as many seconds)
# Needs: go, node, and `npm ci --prefix tools/iamsim`.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
benchtime=${1:-2s}
seconds=${benchtime%s}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ ! -d "$root/tools/iamsim/node_modules/@cloud-copilot/iam-simulate" ]; then
	echo "compare.sh: iam-simulate is not installed: run npm ci --prefix tools/iamsim" >&2
	exit 1
fi

cd "$root"
go test ./bench -run '^TestSeedConsistent$' -count=1 -args -export "$tmp/seed.json" >/dev/null
go test ./bench -run '^$' -bench . -benchmem -benchtime "$benchtime" -count=1 | tee "$tmp/go.txt" >&2
node tools/iamsim/bench.mjs "$tmp/seed.json" "$seconds" | tee "$tmp/node.txt" >&2

awk '
	/^Benchmark/ {
		name = $1; sub(/-[0-9]+$/, "", name)
		for (i = 2; i <= NF; i++) if ($(i+1) == "ns/op") ns[name] = $i
		order[++n] = name
	}
	/^# iam-simulate/ { note = $0 }
	END {
		base = ns["BenchmarkDiagnoseSeed"]
		printf "\n%-44s %14s %12s\n", "benchmark", "ns/op", "x Diagnose"
		for (i = 1; i <= n; i++) {
			k = order[i]
			r = (base > 0) ? sprintf("%.2f", ns[k] / base) : "-"
			printf "%-44s %14.0f %12s\n", k, ns[k], r
		}
		if (note != "") print "\n" note
	}
' "$tmp/go.txt" "$tmp/node.txt"
