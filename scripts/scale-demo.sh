#!/usr/bin/env bash
# Two roles on one machine over a throwaway PostgreSQL (issue 13, docs/scale-out.md): an API node on :8080 and a
# worker node on :8081 share the database and one data folder. Submits examples/yellowflower.jpg to the API node,
# waits for the worker to render it, prints the task's status, a Range read of its mix through the API node and
# the queue's metrics, then stops both nodes and the cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${CHROMASONG_TEST_DATABASE:-}" ]; then
  ./scripts/install-deps.sh --test
  swift build -c release --product chromasong
  exec ./scripts/with-postgres.sh "$0" "$@"
fi
bin=.build/release/chromasong
data=$(mktemp -d "${TMPDIR:-/tmp}/chromasong-shared.XXXXXX")
pids=()
stop() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$data"; }
trap stop EXIT
CHROMASONG_NODE=api-1 "$bin" serve --role api --database "$CHROMASONG_TEST_DATABASE" --data-dir "$data" \
  --port 8080 2>"$data/api.log" & pids+=($!)
CHROMASONG_NODE=worker-1 "$bin" serve --role worker --database "$CHROMASONG_TEST_DATABASE" --data-dir "$data" \
  --port 8081 --workers 1 2>"$data/worker.log" & pids+=($!)
for _ in $(seq 100); do
  curl -sf http://127.0.0.1:8080/health >/dev/null && curl -sf http://127.0.0.1:8081/health >/dev/null && break
  sleep 0.2
done
echo "api node:    $(curl -s http://127.0.0.1:8080/health)"
echo "worker node: $(curl -s http://127.0.0.1:8081/health)"
answer=$(curl -s -F image_file=@examples/yellowflower.jpg -F make_instrumental=true -F duration=30 -F versions=1 \
  http://127.0.0.1:8080/api/public/v1/image_to_song)
echo "submitted:   $answer"
task=$(printf '%s' "$answer" | sed -n 's/.*"task_id":"\([^"]*\)".*/\1/p')
status=""
for _ in $(seq 600); do
  byid=$(curl -s "http://127.0.0.1:8080/api/public/v1/byId?task_id=$task")
  status=$(printf '%s' "$byid" | sed -n 's/.*"status":"\([A-Z_]*\)".*/\1/p' | head -1)
  [ "$status" = COMPLETED ] || [ "$status" = FAILED ] && break
  sleep 0.2
done
echo "status:      $status"
wav=$(printf '%s' "$byid" | sed -n 's/.*"conversion_path_wav_1":"\([^"]*\)".*/\1/p' | sed 's/\\\//\//g')
echo "mix via the API node, bytes 0-3: $(curl -s -r 0-3 "$wav")"
echo "rendered by the worker node: $(curl -s http://127.0.0.1:8081/metrics | grep '^chromasong_render_attempts_total{outcome="completed"}')"
echo "the queue, from the API node's /metrics:"
curl -s http://127.0.0.1:8080/metrics | grep -E '^chromasong_(queue_depth|tasks)' | sort
[ "$status" = COMPLETED ]
