#!/usr/bin/env bash
# GPU check of the TensorFlow runtime (tfs serve --runtime tensorflow), for a machine with an
# NVIDIA GPU and a CUDA TensorFlow (pip install tensorflow on Linux; not tensorflow-cpu).
# Not run by the test suite (no GPU there). Takes under 5 minutes:
#   1. builds the addon (tfs native install) and checks that TensorFlow lists a GPU;
#   2. serves perf_mlp (../shared/fixtures/zoo, or $MODEL_DIR) with --runtime tensorflow and
#      checks that the model's session has the GPU (the load log line names its devices);
#   3. load-tests :predict at batch 128 on the GPU, then with CUDA_VISIBLE_DEVICES= (CPU only),
#      and prints requests/s of both and their ratio.
#   PYTHON=python3 MODEL_DIR=... SECONDS_PER_RUN=15 scripts/gpu-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
MODEL_DIR=${MODEL_DIR:-$PWD/../shared/fixtures/zoo/perf_mlp}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-15}
export TFS_NATIVE_DIR=${TFS_NATIVE_DIR:-$(mktemp -d)}
work=$(mktemp -d)
SERVER=
trap 'if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; fi; rm -rf "$work"' EXIT

npm run build >/dev/null
node bin/run.js native install --python "$PYTHON" --json > "$work/install.json"
node -e 'const i = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log("devices:", i.devices.join(", ")); if (!i.gpu) { console.error("FAIL: TensorFlow lists no GPU (is this a CUDA TensorFlow, and is the driver loaded?)"); process.exit(1); }' "$work/install.json"

# serve [ENV=VALUE...]: starts tfs serve in the background, sets SERVER (pid) and PORT (REST).
serve() {
  env "$@" node bin/run.js serve --runtime=tensorflow --model_name=m --model_base_path="$MODEL_DIR" \
    --host=127.0.0.1 --port=0 --rest_api_port=0 > "$work/serve.log" 2>&1 &
  SERVER=$!
  PORT=
  for _ in $(seq 1 120); do
    PORT=$(grep -o 'Exporting HTTP/REST API at:[^ ]*:[0-9]*' "$work/serve.log" | grep -o '[0-9]*$' || true)
    [ -n "$PORT" ] && return
    sleep 1
  done
  echo "FAIL: tfs serve did not start:" >&2; tail -20 "$work/serve.log" >&2; exit 1
}
rps() { node bin/run.js bench --url="http://127.0.0.1:$PORT" --model=m --auto --batch=128 -c 8 -d "$SECONDS_PER_RUN" --warmup=2 --json |
  node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).result.throughput.toFixed(1)))'; }

serve
grep -q '"devices":\[[^]]*"GPU"' "$work/serve.log" || { echo "FAIL: the model's session has no GPU:"; grep -m1 'runs in TensorFlow' "$work/serve.log"; exit 1; }
gpu=$(rps); kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
serve CUDA_VISIBLE_DEVICES=
cpu=$(rps); kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
echo "perf_mlp batch 128 over REST: GPU $gpu req/s, CPU $cpu req/s, GPU/CPU $(node -e "console.log(($gpu / $cpu).toFixed(2))")x"
