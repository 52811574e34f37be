#!/usr/bin/env bash
# Self test of the kube-api test peer: starts server.js on a free port with a temporary
# kubeconfig, runs the real kubectl against it and checks both kubectl's results and the
# HTTP requests the server recorded.
#
#   tests/peers/kube-api/selftest.sh            # uses `kubectl` from PATH
#   KUBECTL=/path/to/kubectl selftest.sh         # another client (e.g. Debian's 1.20)
#   SELFTEST_DUMP=/tmp/observed.txt selftest.sh  # also write the requests each command sent
#
# Exits non-zero if any check fails; the last line is "N passed, M failed".
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KUBECTL="${KUBECTL:-kubectl}"
NODE="${NODE:-node}"
DUMP="${SELFTEST_DUMP:-}"

for tool in "$NODE" "$KUBECTL" tar; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "selftest: '$tool' not found (run $HERE/install.sh)"; exit 1
  fi
done
if ! "$NODE" -e "try{require('/usr/share/nodejs/ws')}catch(e){require('ws')}" >/dev/null 2>&1 &&
   [ ! -d "$HERE/node_modules/ws" ]; then
  echo "selftest: node module 'ws' not found (run $HERE/install.sh)"; exit 1
fi

T="$(mktemp -d /tmp/kube-api-selftest.XXXXXX)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT

# kubectl caches discovery under $HOME/.kube/cache: keep it inside the temp dir.
export HOME="$T/home"
mkdir -p "$HOME"
[ -n "$DUMP" ] && : > "$DUMP"

PASS=0; FAIL=0
ok()   { PASS=$((PASS+1)); echo "ok   - $1"; }
bad()  { FAIL=$((FAIL+1)); echo "FAIL - $1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/       /' | head -40; }

# ------------------------------------------------------------------ fixtures
cp "$HERE/example-seed.json" "$T/seed.json"
mkdir -p "$T/src/tmp" "$T/testdata"
printf 'heap profile bytes\n' > "$T/src/tmp/heap.pprof"
tar -C "$T/src" -cf "$T/testdata/heap.tar" tmp/heap.pprof

start_server() { # start_server NAME [extra args...]; sets PORT / URL
  local name="$1"; shift
  "$NODE" "$HERE/server.js" --port 0 --state "$T/seed.json" --record "$T/$name.jsonl" "$@" \
    > "$T/$name.out" 2> "$T/$name.err" &
  PIDS+=($!)
  for _ in $(seq 1 100); do
    grep -q '^listening on ' "$T/$name.out" 2>/dev/null && break
    sleep 0.05
  done
  URL="$(sed -n 's/^listening on //p' "$T/$name.out")"
  if [ -z "$URL" ]; then echo "selftest: server did not start"; cat "$T/$name.err"; exit 1; fi
  PORT="${URL##*:}"
}

write_kubeconfig() { # write_kubeconfig FILE SERVER_URL [token]
  local user='{}' tls=''
  [ -n "${3:-}" ] && user="{token: $3}"
  case "$2" in https:*) tls=', insecure-skip-tls-verify: true' ;; esac
  cat > "$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: medic-test
  cluster: {server: "$2"$tls}
contexts:
- name: medic-test
  context: {cluster: medic-test, user: medic, namespace: shop}
users:
- name: medic
  user: $user
current-context: medic-test
EOF
}

ctl() { # ctl METHOD PATH [BODY_FILE] -> prints response body
  "$NODE" -e '
    const [m, u, f] = process.argv.slice(1);
    const body = f ? require("fs").readFileSync(f) : undefined;
    fetch(u, { method: m, body, headers: { "content-type": "application/json" } })
      .then(r => r.text()).then(t => process.stdout.write(t)).catch(e => { console.error(e); process.exit(1); });
  ' "$1" "$URL$2" "${3:-}"
}
reset_requests() { ctl POST /_medic/reset >/dev/null; }

# Checker for recorded requests: expect_req DESC METHOD PATH [cond...]
#   q.KEY=VALUE   query parameter (VALUE starting with [ is compared as a JSON array)
#   ctype=VALUE   request content-type
#   proto=VALUE   stream protocol negotiated for exec/attach
#   body=JSON     recorded JSON body contains this (recursive subset; null must match null)
cat > "$T/check.js" <<'EOF'
const fs = require('fs');
const [file, method, pathSpec, ...conds] = process.argv.slice(2);
const recs = fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map(l => JSON.parse(l));
const subset = (exp, act) => {
  if (exp === null) return act === null;
  if (Array.isArray(exp)) return Array.isArray(act) && exp.length === act.length && exp.every((e, i) => subset(e, act[i]));
  if (typeof exp === 'object') return act && typeof act === 'object' && Object.keys(exp).every(k => subset(exp[k], act[k]));
  return exp === act;
};
const match = (r) => {
  if (r.method !== method) return false;
  if (pathSpec.startsWith('~') ? !new RegExp(pathSpec.slice(1)).test(r.path) : r.path !== pathSpec) return false;
  return conds.every(c => {
    const i = c.indexOf('='); const k = c.slice(0, i); const v = c.slice(i + 1);
    if (k.startsWith('q.')) { const a = r.query[k.slice(2)]; return v.startsWith('[') ? JSON.stringify(a) === v : a === v; }
    if (k === 'ctype') return (r.headers['content-type'] || '') === v;
    if (k === 'proto') return r.protocol === v;
    if (k === 'body') return subset(JSON.parse(v), r.body);
    throw new Error('unknown condition ' + c);
  });
};
if (recs.some(match)) process.exit(0);
console.log('no recorded request matched: ' + [method, pathSpec, ...conds].join(' '));
console.log('recorded:');
for (const r of recs) console.log(`  ${r.method} ${r.path}${r.rawQuery ? '?' + r.rawQuery : ''} ${r.headers['content-type'] || ''} ${r.body ? JSON.stringify(r.body).slice(0, 200) : ''}`);
process.exit(1);
EOF
expect_req() {
  local desc="$1"; shift
  local out
  if out="$("$NODE" "$T/check.js" "$T/main.jsonl" "$@")"; then ok "$desc"; else bad "$desc" "$out"; fi
}

dump_requests() { # dump_requests TITLE: append what the last command sent to $DUMP
  [ -z "$DUMP" ] && return 0
  { echo "### $1"
    "$NODE" -e '
      for (const l of require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").filter(Boolean)) {
        const r = JSON.parse(l);
        let s = `${r.method} ${r.path}${r.rawQuery ? "?" + decodeURIComponent(r.rawQuery.replace(/\+/g, " ")) : ""}`;
        if (r.headers["content-type"]) s += `  [${r.headers["content-type"]}]`;
        if (r.protocol) s += `  {${r.protocol}}`;
        if (r.headers["user-agent"] && r.headers["user-agent"].startsWith("kubectl-dispatcher")) s += "  (dispatcher)";
        if (r.body !== undefined) s += "  body=" + JSON.stringify(r.body).slice(0, 400);
        console.log("    " + s);
      }' "$T/main.jsonl"
    echo; } >> "$DUMP"
}

K_OUT=; K_ERR=; K_RC=
run_k() { # run_k TITLE ARGS... (stdin from /dev/null unless RUN_K_STDIN is set)
  local title="$1"; shift
  reset_requests
  K_OUT="$(timeout 60 "$KUBECTL" "$@" < "${RUN_K_STDIN:-/dev/null}" 2> "$T/stderr")"; K_RC=$?
  K_ERR="$(cat "$T/stderr")"
  dump_requests "$title"
}
expect_rc() { # expect_rc DESC RC
  if [ "$K_RC" = "$2" ]; then ok "$1"; else bad "$1 (exit $K_RC, want $2)" "$K_OUT
$K_ERR"; fi
}
expect_out() { # expect_out DESC SUBSTRING (stdout+stderr)
  if printf '%s\n%s' "$K_OUT" "$K_ERR" | grep -qF -- "$2"; then ok "$1"; else bad "$1 (missing '$2')" "$K_OUT
$K_ERR"; fi
}
expect_state() { # expect_state DESC JS_EXPRESSION over s (GET /_medic/state)
  local out
  out="$(ctl GET /_medic/state | "$NODE" -e '
    const s = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const find = (res, name) => (s[res] || []).find(o => o.metadata.name === name);
    const v = eval(process.argv[1]);
    if (!v) { console.log("state check false: " + process.argv[1]); process.exit(1); }' "$2")"
  if [ $? = 0 ]; then ok "$1"; else bad "$1" "$out"; fi
}

# ------------------------------------------------------------------ main server
start_server main
export KUBECONFIG="$T/kubeconfig"
write_kubeconfig "$KUBECONFIG" "$URL"

MINOR="$("$KUBECTL" version --client -o json 2>/dev/null | "$NODE" -e 'const v=JSON.parse(require("fs").readFileSync(0,"utf8")).clientVersion; process.stdout.write(String(parseInt(v.minor,10)))')"
echo "# kubectl client: $("$KUBECTL" version --client 2>/dev/null | head -1) (minor $MINOR); server $URL"
# exec/attach: WebSocket (GET) since kubectl 1.30, SPDY (POST) before
STREAM_METHOD=POST; [ "$MINOR" -ge 30 ] && STREAM_METHOD=GET
POD=checkout-7d9f8-abcde
PODS=/api/v1/namespaces/shop/pods
DEPS=/apis/apps/v1/namespaces/shop/deployments

run_k "kubectl get pods -l app=checkout -o json" get pods -l app=checkout -o json
expect_rc "get pods -l: exit 0" 0
if printf '%s' "$K_OUT" | "$NODE" -e 'const l=JSON.parse(require("fs").readFileSync(0,"utf8")); process.exit(l.items.length===2 && l.items.every(p=>p.metadata.labels.app==="checkout")?0:1)'; then
  ok "get pods -l: two checkout pods in JSON"; else bad "get pods -l: two checkout pods in JSON" "$K_OUT"; fi
expect_req "get pods -l: GET pods?labelSelector=app=checkout" GET $PODS q.labelSelector=app=checkout

run_k "kubectl logs POD -c app --previous" logs $POD -c app --previous
expect_rc "logs --previous: exit 0" 0
expect_out "logs --previous: previous container log" "panic: runtime error"
expect_req "logs --previous: GET pods/POD/log?container=app&previous=true" GET $PODS/$POD/log q.container=app q.previous=true

run_k "kubectl logs POD -c app --tail=1" logs $POD -c app --tail=1
if [ "$K_OUT" = "listening on :8080" ]; then ok "logs --tail=1: last line only"; else bad "logs --tail=1: last line only" "$K_OUT"; fi
expect_req "logs --tail: GET log?tailLines=1" GET $PODS/$POD/log q.tailLines=1

run_k "kubectl get --raw .../proxy/debug/pprof/goroutine?debug=2" get --raw "$PODS/$POD/proxy/debug/pprof/goroutine?debug=2"
expect_rc "pprof via proxy: exit 0" 0
expect_out "pprof via proxy: goroutine dump" "goroutine 7 [chan receive, 12 minutes]"
expect_req "pprof via proxy: GET pods/POD/proxy/debug/pprof/goroutine?debug=2" GET $PODS/$POD/proxy/debug/pprof/goroutine q.debug=2

run_k "kubectl get --raw .../proxy/healthz (configured 503)" get --raw "$PODS/$POD/proxy/healthz"
expect_rc "healthz via proxy answering 503: kubectl fails" 1

run_k "kubectl label pod POD app- quarantine=true --overwrite" label pod $POD app- quarantine=true --overwrite
expect_rc "label: exit 0" 0
expect_req "label: PATCH merge patch removing app, adding quarantine" PATCH $PODS/$POD \
  ctype=application/merge-patch+json 'body={"metadata":{"labels":{"app":null,"quarantine":"true"}}}'
expect_state "label: pod labels changed in server state" \
  'const p=find("pods","'$POD'"); p.metadata.labels.quarantine==="true" && !("app" in p.metadata.labels)'

run_k "kubectl patch pod POD --type=json (remove label)" patch pod $POD --type=json -p '[{"op":"remove","path":"/metadata/labels/quarantine"}]'
expect_rc "json patch: exit 0" 0
expect_req "json patch: PATCH application/json-patch+json" PATCH $PODS/$POD ctype=application/json-patch+json

run_k "kubectl patch pod POD (invalid label value)" patch pod $POD --type=merge -p '{"metadata":{"labels":{"bad":"-x-"}}}'
expect_rc "invalid label: exit 1" 1
expect_out "invalid label: 422 Invalid message" 'is invalid: metadata.labels: Invalid value: "-x-"'

run_k "kubectl exec POD -c envoy -- curl -s -X POST localhost:9901/healthcheck/fail" exec $POD -c envoy -- curl -s -X POST localhost:9901/healthcheck/fail
expect_rc "exec envoy: exit 0" 0
expect_out "exec envoy: scripted stdout" "OK"
if [ "$MINOR" -ge 30 ]; then
  expect_req "exec envoy: websocket v5 exec request" GET $PODS/$POD/exec q.container=envoy \
    'q.command=["curl","-s","-X","POST","localhost:9901/healthcheck/fail"]' proto=v5.channel.k8s.io
else
  expect_req "exec envoy: SPDY exec request" POST $PODS/$POD/exec q.container=envoy \
    'q.command=["curl","-s","-X","POST","localhost:9901/healthcheck/fail"]' proto=SPDY/3.1+v4.channel.k8s.io
fi

run_k "kubectl exec POD -c app -- sh -c 'exit 3'" exec checkout-7d9f8-fghij -c app -- sh -c 'exit 3'
expect_rc "exec non-zero exit code is passed through" 3
expect_out "exec stderr" "failing on purpose"

run_k "kubectl exec POD -c app -- unknown-command (no rule)" exec $POD -c app -- unknown-command
expect_rc "exec without a rule fails" 1

if [ "$MINOR" -ge 30 ]; then
  reset_requests
  K_OUT="$(KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false timeout 30 "$KUBECTL" exec $POD -c envoy -- curl -s -X POST localhost:9901/healthcheck/fail 2>&1)"; K_RC=$?; K_ERR=
  dump_requests "KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false kubectl exec ... (SPDY)"
  expect_rc "exec over SPDY (websockets disabled): exit 0" 0
  expect_out "exec over SPDY: scripted stdout" "OK"
  expect_req "exec over SPDY: POST exec" POST $PODS/$POD/exec proto=SPDY/3.1+v4.channel.k8s.io
fi

printf 'payload for the pod\n' > "$T/upload.txt"
RUN_K_STDIN="$T/upload.txt" run_k "kubectl exec -i POD -c app -- tar -xmf - -C /tmp (stdin)" exec -i $POD -c app -- tar -xmf - -C /tmp
expect_rc "exec -i with stdin: exit 0" 0
if "$NODE" -e 'const r=require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n").map(JSON.parse).find(r=>/\/exec$/.test(r.path)); process.exit(r && r.stdin==="payload for the pod\n"?0:1)' "$T/main.jsonl"; then
  ok "exec -i: stdin recorded"; else bad "exec -i: stdin recorded" "$(cat "$T/main.jsonl")"; fi

run_k "kubectl cp POD:/tmp/heap.pprof ./heap.pprof -c app" cp $POD:/tmp/heap.pprof "$T/heap.pprof" -c app
expect_rc "cp from pod: exit 0" 0
if [ "$(cat "$T/heap.pprof" 2>/dev/null)" = "heap profile bytes" ]; then ok "cp from pod: file content"; else bad "cp from pod: file content"; fi
expect_req "cp from pod: exec tar cf - /tmp/heap.pprof" "$STREAM_METHOD" '~/exec$' 'q.command=["tar","cf","-","/tmp/heap.pprof"]'

run_k "kubectl set image deployment/checkout app=registry.local/checkout:v1.4.3" set image deployment/checkout app=registry.local/checkout:v1.4.3
expect_rc "set image: exit 0" 0
expect_req "set image: strategic merge PATCH on the deployment" PATCH $DEPS/checkout \
  ctype=application/strategic-merge-patch+json 'body={"spec":{"template":{"spec":{"containers":[{"name":"app","image":"registry.local/checkout:v1.4.3"}]}}}}'

run_k "kubectl rollout status deployment/checkout --timeout=20s" rollout status deployment/checkout --timeout=20s
expect_rc "rollout status: exit 0" 0
expect_out "rollout status: completed" 'deployment "checkout" successfully rolled out'
expect_req "rollout status: watch with fieldSelector" GET $DEPS q.watch=true q.fieldSelector=metadata.name=checkout

run_k "kubectl rollout restart deployment/checkout" rollout restart deployment/checkout
expect_rc "rollout restart: exit 0" 0
expect_req "rollout restart: PATCH restartedAt annotation" PATCH $DEPS/checkout ctype=application/strategic-merge-patch+json
if "$NODE" -e 'const r=require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n").map(JSON.parse).find(r=>r.method==="PATCH"); process.exit(r.body.spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"]?0:1)' "$T/main.jsonl"; then
  ok "rollout restart: body has kubectl.kubernetes.io/restartedAt"; else bad "rollout restart: body has kubectl.kubernetes.io/restartedAt"; fi

run_k "kubectl rollout status deployment/checkout --timeout=20s (after restart)" rollout status deployment/checkout --timeout=20s
expect_rc "rollout status after restart: exit 0" 0

run_k "kubectl rollout undo deployment/checkout" rollout undo deployment/checkout
expect_rc "rollout undo: exit 0" 0
expect_req "rollout undo: lists replicasets by the deployment selector" GET /apis/apps/v1/namespaces/shop/replicasets q.labelSelector=app=checkout
expect_req "rollout undo: JSON patch of the template" PATCH $DEPS/checkout ctype=application/json-patch+json
expect_state "rollout undo: template is back to the pre-restart revision" \
  'const d=find("deployments","checkout"); const t=d.spec.template; t.spec.containers[0].image==="registry.local/checkout:v1.4.3" && !((t.metadata.annotations||{})["kubectl.kubernetes.io/restartedAt"]) && d.metadata.annotations["deployment.kubernetes.io/revision"]==="5"'

run_k "kubectl rollout undo deployment/checkout --to-revision=1" rollout undo deployment/checkout --to-revision=1
expect_rc "rollout undo --to-revision=1: exit 0" 0
expect_state "rollout undo --to-revision=1: seeded old image" \
  'find("deployments","checkout").spec.template.spec.containers[0].image==="registry.local/checkout:v1.4.1"'

run_k "kubectl set image deployment/stuck app=stuck:v2" set image deployment/stuck app=stuck:v2
run_k "kubectl rollout status deployment/stuck --timeout=2s (never completes)" rollout status deployment/stuck --timeout=2s
expect_rc "stuck rollout: rollout status fails" 1
expect_out "stuck rollout: timeout message" "timed out waiting for the condition"

run_k "kubectl delete pod checkout-7d9f8-fghij" delete pod checkout-7d9f8-fghij
expect_rc "delete pod: exit 0" 0
expect_req "delete pod: DELETE with propagationPolicy" DELETE $PODS/checkout-7d9f8-fghij 'body={"propagationPolicy":"Background"}'
expect_state "delete pod: pod gone" '!find("pods","checkout-7d9f8-fghij")'

run_k "kubectl get pod checkout-7d9f8-fghij (deleted)" get pod checkout-7d9f8-fghij
expect_rc "get deleted pod: exit 1" 1
expect_out "get deleted pod: NotFound" 'pods "checkout-7d9f8-fghij" not found'

PROFILE=(); [ "$MINOR" -ge 27 ] && PROFILE=(--profile=general)
run_k "kubectl debug POD --image=busybox --target=app ${PROFILE[*]} -- sleep 3600" debug $POD --image=busybox --target=app "${PROFILE[@]}" -- sleep 3600
expect_rc "debug: exit 0" 0
if [ "$MINOR" -ge 22 ]; then
  expect_req "debug: strategic PATCH pods/POD/ephemeralcontainers" PATCH $PODS/$POD/ephemeralcontainers \
    ctype=application/strategic-merge-patch+json 'body={"spec":{"ephemeralContainers":[{"image":"busybox","targetContainerName":"app","command":["sleep","3600"]}]}}'
else
  expect_req "debug: PUT pods/POD/ephemeralcontainers (legacy kind)" PUT $PODS/$POD/ephemeralcontainers 'body={"kind":"EphemeralContainers"}'
fi
expect_state "debug: ephemeral container in pod spec and running" \
  'const p=find("pods","'$POD'"); p.spec.ephemeralContainers.length===1 && p.spec.ephemeralContainers[0].targetContainerName==="app" && p.status.ephemeralContainerStatuses[0].state.running'

run_k "kubectl debug -i POD --image=busybox --target=app ${PROFILE[*]} -- cat /proc/1/status" debug -i $POD --image=busybox --target=app "${PROFILE[@]}" -- cat /proc/1/status
expect_rc "debug -i (attach): exit 0" 0
expect_out "debug -i (attach): scripted output" "debug shell output"
expect_req "debug -i: attach to the new container" "$STREAM_METHOD" '~/attach$' q.stdin=true

# ------------------------------------------------------------------ failure switches
"$NODE" -e '
  const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  s.faults = [
    { method: "GET", path: "/api/v1/namespaces/shop/pods/other-1", status: 500, message: "etcdserver: request timed out", times: 1 },
    { path: "/api/v1/namespaces/shop/pods/checkout-7d9f8-fghij", delayMs: 1500 } ];
  require("fs").writeFileSync(process.argv[2], JSON.stringify(s));' "$T/seed.json" "$T/faults.json"
ctl POST /_medic/state "$T/faults.json" >/dev/null
run_k "kubectl get pod other-1 (fault: 500 once)" get pod other-1 -o name
expect_rc "fault 500: kubectl fails" 1
expect_out "fault 500: message shown" "etcdserver: request timed out"
run_k "kubectl get pod other-1 (fault used up)" get pod other-1 -o name
expect_rc "fault used up: next call succeeds" 0
start_ns=$(date +%s%N)
run_k "kubectl get pod checkout-7d9f8-fghij (slow: 1500 ms)" get pod checkout-7d9f8-fghij -o name
elapsed=$(( ($(date +%s%N) - start_ns) / 1000000 ))
if [ "$K_RC" = 0 ] && [ "$elapsed" -ge 1400 ]; then ok "slow answer delayed (${elapsed} ms)"; else bad "slow answer delayed (rc $K_RC, ${elapsed} ms)"; fi

# ------------------------------------------------------------------ bearer token (needs TLS: kubectl sends no credentials over plain http)
if command -v openssl >/dev/null 2>&1; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 1 -subj /CN=127.0.0.1 >/dev/null 2>&1
  "$NODE" -e 'const s=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); s.token="s3cret"; require("fs").writeFileSync(process.argv[2], JSON.stringify(s))' "$T/seed.json" "$T/seed-token.json"
  "$NODE" "$HERE/server.js" --port 0 --state "$T/seed-token.json" --tls-cert "$T/cert.pem" --tls-key "$T/key.pem" > "$T/tls.out" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do grep -q '^listening on ' "$T/tls.out" && break; sleep 0.05; done
  TLS_URL="$(sed -n 's/^listening on //p' "$T/tls.out")"
  write_kubeconfig "$T/kubeconfig-tls" "$TLS_URL" s3cret
  if KUBECONFIG="$T/kubeconfig-tls" timeout 30 "$KUBECTL" get pods -o name >/dev/null 2>&1; then ok "bearer token accepted (TLS)"; else bad "bearer token accepted (TLS)"; fi
  if KUBECONFIG="$T/kubeconfig-tls" timeout 30 "$KUBECTL" get pods -o name --token=wrong > "$T/o" 2>&1; then bad "wrong token rejected"; else
    if grep -q 'Unauthorized\|provide credentials' "$T/o"; then ok "wrong token rejected with 401"; else bad "wrong token rejected with 401" "$(cat "$T/o")"; fi; fi
else
  echo "skip - bearer token checks (no openssl)"
fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
