#!/usr/bin/env bash
# Gate a model in CI: fail the job when it grows past its budget or the analysis is incomplete.
#   examples/ci/gate-model.sh MODEL [INPUT_SHAPE] [MAX_PARAMS] [MAX_MACS]
# MODEL is an .onnx file, a .json spec or a zoo model name. Exit codes are convlens's:
#   0 within budget, 1 a budget or warning gate failed, 2 invalid input, 3 internal error,
#   4 the analysis is incomplete (unsupported operators) while a gate is set.
# Run from a convlens checkout after `npm ci` (or with convlens installed: replace `npx convlens`).
set -euo pipefail
model=${1:?usage: gate-model.sh MODEL [INPUT_SHAPE] [MAX_PARAMS] [MAX_MACS]}
input=${2:-1,3,224,224}
max_params=${3:-25e6}
max_macs=${4:-5e9}

args=(analyze "$model" --max-params "$max_params" --max-macs "$max_macs" --fail-on FC_DOMINATES)
[[ "$model" == *.onnx ]] && args+=(--input "$input")
# the JSON report is kept as a build artifact; the gate's verdict is the exit code
npx convlens "${args[@]}" --format json > convlens-report.json
jq -r '"params \(.totals.params), MACs \(.totals.macs), complete \(.totals.complete)"' convlens-report.json
