#!/usr/bin/env node
// medic test peer: a small in-memory Kubernetes API server that the real
// kubectl talks to over plain HTTP. See README.md for the state file format
// and for the requests each kubectl command was observed to send.
//
//   node server.js --port 0 --state seed.json --record requests.jsonl
//
// Prints "listening on http://127.0.0.1:PORT" once ready.
'use strict';

const http = require('http');
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const zlib = require('zlib');

function loadWs() {
  const tries = ['ws', '/usr/share/nodejs/ws', path.join(__dirname, 'node_modules', 'ws')];
  for (const t of tries) {
    try { return require(t); } catch (e) { /* try next */ }
  }
  return null;
}
const WebSocket = loadWs();

// ---------------------------------------------------------------- arguments
const args = { port: 0, host: '127.0.0.1', state: null, record: null, tlsCert: null, tlsKey: null };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  const next = () => process.argv[++i];
  if (a === '--port') args.port = parseInt(next(), 10);
  else if (a === '--host') args.host = next();
  else if (a === '--state') args.state = next();
  else if (a === '--record') args.record = next();
  else if (a === '--tls-cert') args.tlsCert = next();
  else if (a === '--tls-key') args.tlsKey = next();
  else if (a === '-h' || a === '--help') {
    console.log('usage: node server.js [--port N] [--host ADDR] [--state seed.json] [--record requests.jsonl] [--tls-cert cert.pem --tls-key key.pem]');
    process.exit(0);
  } else { console.error('unknown argument: ' + a); process.exit(2); }
}

// ---------------------------------------------------------------- resources
// One row per served resource. sub: subresource -> response kind.
const RESOURCES = [
  { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true, short: ['po'], categories: ['all'],
    sub: { log: 'Pod', exec: 'PodExecOptions', attach: 'PodAttachOptions', proxy: 'PodProxyOptions',
      ephemeralcontainers: 'Pod', status: 'Pod', eviction: 'Eviction', portforward: 'PodPortForwardOptions' } },
  { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false, short: ['ns'], sub: { status: 'Namespace' } },
  { group: '', version: 'v1', resource: 'nodes', kind: 'Node', namespaced: false, short: ['no'], sub: { status: 'Node', proxy: 'NodeProxyOptions' } },
  { group: '', version: 'v1', resource: 'services', kind: 'Service', namespaced: true, short: ['svc'], categories: ['all'], sub: { status: 'Service', proxy: 'ServiceProxyOptions' } },
  { group: '', version: 'v1', resource: 'endpoints', kind: 'Endpoints', namespaced: true, short: ['ep'] },
  { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true, short: ['cm'] },
  { group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true },
  { group: '', version: 'v1', resource: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true, short: ['sa'] },
  { group: '', version: 'v1', resource: 'events', kind: 'Event', namespaced: true, short: ['ev'] },
  { group: '', version: 'v1', resource: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', namespaced: true, short: ['pvc'] },
  { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'roles', kind: 'Role', namespaced: true },
  { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'rolebindings', kind: 'RoleBinding', namespaced: true },
  { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', namespaced: true, short: ['deploy'], categories: ['all'], sub: { status: 'Deployment', scale: 'Scale' } },
  { group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet', namespaced: true, short: ['rs'], categories: ['all'], sub: { status: 'ReplicaSet', scale: 'Scale' } },
  { group: 'apps', version: 'v1', resource: 'statefulsets', kind: 'StatefulSet', namespaced: true, short: ['sts'], categories: ['all'], sub: { status: 'StatefulSet', scale: 'Scale' } },
  { group: 'apps', version: 'v1', resource: 'daemonsets', kind: 'DaemonSet', namespaced: true, short: ['ds'], categories: ['all'], sub: { status: 'DaemonSet' } },
];
const SINGULAR = { endpoints: 'endpoints' };
const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const SUBVERBS = { log: ['get'], exec: ['create', 'get'], attach: ['create', 'get'], proxy: ['create', 'delete', 'get', 'patch', 'update'],
  ephemeralcontainers: ['get', 'patch', 'update'], status: ['get', 'patch', 'update'], eviction: ['create'], portforward: ['create', 'get'], scale: ['get', 'patch', 'update'] };

function gv(r) { return r.group ? r.group + '/' + r.version : r.version; }
function findResource(group, version, resource) {
  return RESOURCES.find(r => r.group === group && r.version === version && r.resource === resource);
}
function resourceByKind(kind) { return RESOURCES.find(r => r.kind === kind); }
function singular(r) { return SINGULAR[r.resource] || r.kind.toLowerCase(); }

// ---------------------------------------------------------------- state
let rvCounter = 1000;
const nextRV = () => String(++rvCounter);
const START = Date.now();
let seed = {};          // the seed as loaded (for /_medic/reset?state=1)
let cfg = {};           // non-object parts of the state (logs, exec, proxy, faults, ...)
let store = new Map();  // resource -> Map("ns/name" -> object)
let history = [];       // watch history: {rv, resource, type, object, old}
const HISTORY_MAX = 2000;
let watchers = new Set();
let timers = new Map(); // "resource/ns/name" -> timeout (rollout / deletion simulation)
// Pods whose new ephemeral containers start at a later read of the pod (ephemeralStartAfterReads).
const startsAfterReads = new Map();
let records = [];
let seq = 0;

const clone = (o) => (o === undefined ? undefined : JSON.parse(JSON.stringify(o)));
const isObj = (o) => o !== null && typeof o === 'object' && !Array.isArray(o);
const keyOf = (ns, name) => (ns || '') + '/' + name;
const nowISO = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

function table(resource) {
  if (!store.has(resource)) store.set(resource, new Map());
  return store.get(resource);
}

function loadState(s) {
  for (const t of timers.values()) clearTimeout(t);
  timers = new Map();
  startsAfterReads.clear();
  store = new Map();
  history = [];
  s = s || {};
  const known = new Set(['token', 'serverVersion', 'discovery', 'rolloutDelayMs', 'podDeletionDelayMs', 'ephemeralStartDelayMs', 'ephemeralStartAfterReads', 'ephemeralContainersApi',
    'deny', 'logs', 'proxy', 'exec', 'rollouts', 'faults', 'objects', '__baseDir', ...RESOURCES.map(r => r.resource)]);
  for (const k of Object.keys(s)) if (!known.has(k) && !k.startsWith('//') && !k.startsWith('_')) console.error(`kube-api: warning: unknown state key "${k}"`);
  cfg = {
    token: s.token || null,
    serverVersion: s.serverVersion || 'v1.32.0',
    discovery: s.discovery || 'aggregated',
    ephemeralContainersApi: s.ephemeralContainersApi || 'auto',
    rolloutDelayMs: s.rolloutDelayMs == null ? 300 : s.rolloutDelayMs,
    podDeletionDelayMs: s.podDeletionDelayMs || 0,
    ephemeralStartDelayMs: s.ephemeralStartDelayMs == null ? 100 : s.ephemeralStartDelayMs,
    ephemeralStartAfterReads: s.ephemeralStartAfterReads || 0,
    logs: s.logs || {},
    proxy: s.proxy || {},
    exec: s.exec || [],
    rollouts: s.rollouts || {},
    faults: (s.faults || []).map(f => Object.assign({ used: 0 }, f)),
    deny: s.deny || [],
    baseDir: s.__baseDir || (args.state ? path.dirname(path.resolve(args.state)) : process.cwd()),
  };
  const objs = [];
  for (const r of RESOURCES) {
    for (const o of (s[r.resource] || [])) objs.push([r, o]);
  }
  for (const o of (s.objects || [])) {
    const r = resourceByKind(o.kind);
    if (!r) throw new Error('state: unknown kind ' + o.kind);
    objs.push([r, o]);
  }
  for (const ns of ['default', 'kube-system']) ensureNamespace(ns);
  // ReplicaSets before deployments, so seeded history is found.
  objs.sort((a, b) => (a[0].resource === 'deployments') - (b[0].resource === 'deployments'));
  for (const [r, o] of objs) {
    const obj = normalize(r, clone(o));
    if (r.namespaced) ensureNamespace(obj.metadata.namespace);
    table(r.resource).set(keyOf(obj.metadata.namespace, obj.metadata.name), obj);
  }
  for (const d of table('deployments').values()) seedDeployment(d);
}

function ensureNamespace(ns) {
  const t = table('namespaces');
  if (!t.has(keyOf('', ns))) {
    t.set(keyOf('', ns), normalize(findResource('', 'v1', 'namespaces'), { metadata: { name: ns } }));
  }
}

function normalize(r, o) {
  o.apiVersion = gv(r);
  o.kind = r.kind;
  o.metadata = o.metadata || {};
  const m = o.metadata;
  if (!m.name) throw new Error('state: object of kind ' + r.kind + ' without metadata.name');
  if (r.namespaced) m.namespace = m.namespace || 'default'; else delete m.namespace;
  m.uid = m.uid || uuidFor(r.resource + '/' + (m.namespace || '') + '/' + m.name);
  m.resourceVersion = nextRV();
  m.creationTimestamp = m.creationTimestamp || new Date(START - 3600 * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  if (r.resource === 'pods') normalizePod(o);
  applyDefaults(r, o);
  if (r.resource === 'namespaces') { o.spec = o.spec || { finalizers: ['kubernetes'] }; o.status = o.status || { phase: 'Active' }; }
  if (['deployments', 'replicasets', 'statefulsets'].includes(r.resource)) {
    o.spec = o.spec || {};
    if (o.spec.replicas == null) o.spec.replicas = 1;
    m.generation = m.generation || 1;
  }
  return o;
}

function uuidFor(s) {
  const h = crypto.createHash('sha1').update(s).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

// Defaults the real API server fills in (kubectl 1.33 `debug` dereferences spec.securityContext, for one).
function defaultContainer(c) {
  if (c.terminationMessagePath == null) c.terminationMessagePath = '/dev/termination-log';
  if (c.terminationMessagePolicy == null) c.terminationMessagePolicy = 'File';
  if (c.imagePullPolicy == null) {
    const img = c.image || '';
    const tagged = /:[^/:]+$/.test(img) && !/:latest$/.test(img);
    c.imagePullPolicy = tagged || img.includes('@') ? 'IfNotPresent' : 'Always';
  }
  if (c.resources == null) c.resources = {};
}
function defaultPodSpec(spec) {
  if (!spec) return;
  if (spec.restartPolicy == null) spec.restartPolicy = 'Always';
  if (spec.terminationGracePeriodSeconds == null) spec.terminationGracePeriodSeconds = 30;
  if (spec.dnsPolicy == null) spec.dnsPolicy = 'ClusterFirst';
  if (spec.securityContext == null) spec.securityContext = {};
  if (spec.schedulerName == null) spec.schedulerName = 'default-scheduler';
  if (spec.serviceAccountName == null) spec.serviceAccountName = spec.serviceAccount || 'default';
  if (spec.serviceAccount == null) spec.serviceAccount = spec.serviceAccountName;
  for (const c of [...(spec.containers || []), ...(spec.initContainers || []), ...(spec.ephemeralContainers || [])]) defaultContainer(c);
}
function applyDefaults(r, o) {
  if (r.resource === 'pods') defaultPodSpec(o.spec);
  if (['deployments', 'replicasets', 'statefulsets', 'daemonsets'].includes(r.resource) && o.spec && o.spec.template) defaultPodSpec(o.spec.template.spec);
  if (r.resource === 'deployments' && o.spec) {
    if (o.spec.strategy == null) o.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } };
    if (o.spec.revisionHistoryLimit == null) o.spec.revisionHistoryLimit = 10;
    if (o.spec.progressDeadlineSeconds == null) o.spec.progressDeadlineSeconds = 600;
  }
}

function normalizePod(p) {
  p.spec = p.spec || {};
  p.spec.containers = p.spec.containers || [{ name: 'app', image: 'app:latest' }];
  p.spec.nodeName = p.spec.nodeName || 'node-1';
  p.status = p.status || {};
  const st = p.status;
  st.phase = st.phase || 'Running';
  st.podIP = st.podIP || '10.0.0.' + (1 + (parseInt(p.metadata.uid.slice(0, 2), 16) % 250));
  st.hostIP = st.hostIP || '192.0.2.1';
  st.startTime = st.startTime || p.metadata.creationTimestamp;
  if (!st.containerStatuses) {
    st.containerStatuses = p.spec.containers.map(c => ({
      name: c.name, image: c.image, imageID: '', ready: st.phase === 'Running', restartCount: 0, started: st.phase === 'Running',
      containerID: 'containerd://' + crypto.createHash('sha1').update(p.metadata.name + c.name).digest('hex'),
      state: st.phase === 'Running' ? { running: { startedAt: p.metadata.creationTimestamp } } : { waiting: { reason: 'ContainerCreating' } },
    }));
  }
  if (!st.conditions) {
    const ready = st.containerStatuses.every(c => c.ready) ? 'True' : 'False';
    st.conditions = ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map(t => ({
      type: t, status: (t === 'Ready' || t === 'ContainersReady') ? ready : 'True', lastProbeTime: null, lastTransitionTime: p.metadata.creationTimestamp,
    }));
  }
}

// ------------------------------------------------------- deployment "controller"
const REV = 'deployment.kubernetes.io/revision';
const HASH = 'pod-template-hash';

function canon(v) { // canonical JSON with sorted keys, dropping null/empty values
  const strip = (x) => {
    if (Array.isArray(x)) return x.map(strip);
    if (isObj(x)) {
      const out = {};
      for (const k of Object.keys(x).sort()) {
        const s = strip(x[k]);
        if (s === null || s === undefined) continue;
        if (isObj(s) && Object.keys(s).length === 0) continue;
        if (Array.isArray(s) && s.length === 0) continue;
        out[k] = s;
      }
      return out;
    }
    return x;
  };
  return JSON.stringify(strip(v));
}
function templateWithoutHash(t) {
  const c = clone(t || {});
  if (c.metadata && c.metadata.labels) delete c.metadata.labels[HASH];
  return c;
}
function fnv32a(str) {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(str)) { h ^= b; h = Math.imul(h, 0x01000193) >>> 0; }
  return h >>> 0;
}
function safeEncode(n) {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let s = String(n); let out = '';
  for (const ch of s) out += alphabet[ch.charCodeAt(0) % alphabet.length];
  return out.slice(0, 10);
}
function templateHash(t) { return safeEncode(fnv32a(canon(templateWithoutHash(t)))); }
const revisionOf = (o) => parseInt(((o.metadata || {}).annotations || {})[REV] || '0', 10) || 0;

function ownedReplicaSets(d) {
  const out = [];
  for (const rs of table('replicasets').values()) {
    if (rs.metadata.namespace !== d.metadata.namespace) continue;
    const refs = rs.metadata.ownerReferences || [];
    if (refs.some(r => r.controller && r.uid === d.metadata.uid)) out.push(rs);
  }
  return out;
}

function seedDeployment(d) {
  // Adopt seeded replicasets (same namespace, labels match the selector).
  d.spec.selector = d.spec.selector || { matchLabels: clone(((d.spec.template || {}).metadata || {}).labels || {}) };
  for (const rs of table('replicasets').values()) {
    if (rs.metadata.namespace !== d.metadata.namespace) continue;
    if (rs.metadata.ownerReferences && rs.metadata.ownerReferences.length) continue;
    const lbls = (rs.spec.template && rs.spec.template.metadata && rs.spec.template.metadata.labels) || rs.metadata.labels || {};
    if (!selectorMatches(d.spec.selector, lbls) && !rs.metadata.name.startsWith(d.metadata.name + '-')) continue;
    rs.metadata.ownerReferences = [ownerRef(d)];
    fixupReplicaSet(rs, d);
  }
  if (!d.status) {
    const n = d.spec.replicas;
    d.status = { observedGeneration: d.metadata.generation, replicas: n, updatedReplicas: n, readyReplicas: n, availableReplicas: n,
      conditions: completeConditions(d, '') };
  }
  reconcileDeployment(d, { seed: true });
}

function ownerRef(d) {
  return { apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name, uid: d.metadata.uid, controller: true, blockOwnerDeletion: true };
}

function fixupReplicaSet(rs, d) {
  rs.spec.template = rs.spec.template || clone(d.spec.template);
  const h = templateHash(rs.spec.template);
  rs.spec.template.metadata = rs.spec.template.metadata || {};
  rs.spec.template.metadata.labels = Object.assign({}, rs.spec.template.metadata.labels || d.spec.template.metadata.labels, { [HASH]: rs.spec.template.metadata.labels && rs.spec.template.metadata.labels[HASH] || h });
  const hh = rs.spec.template.metadata.labels[HASH];
  rs.metadata.labels = Object.assign({}, rs.metadata.labels || (d.spec.template.metadata || {}).labels, { [HASH]: hh });
  const sel = clone(d.spec.selector);
  sel.matchLabels = Object.assign({}, sel.matchLabels || {}, { [HASH]: hh });
  rs.spec.selector = rs.spec.selector || sel;
  if (!rs.status) rs.status = { replicas: rs.spec.replicas, readyReplicas: rs.spec.replicas, availableReplicas: rs.spec.replicas, fullyLabeledReplicas: rs.spec.replicas, observedGeneration: 1 };
}

function completeConditions(d, rsName) {
  const t = nowISO();
  return [
    { type: 'Available', status: 'True', lastUpdateTime: t, lastTransitionTime: t, reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' },
    { type: 'Progressing', status: 'True', lastUpdateTime: t, lastTransitionTime: t, reason: 'NewReplicaSetAvailable',
      message: `ReplicaSet "${rsName || d.metadata.name}" has successfully progressed.` },
  ];
}

// Makes sure a ReplicaSet exists for the current template and that the
// deployment's revision annotation points at it. Returns that ReplicaSet.
function reconcileDeployment(d, opts) {
  opts = opts || {};
  const owned = ownedReplicaSets(d);
  const want = canon(templateWithoutHash(d.spec.template));
  let target = owned.find(rs => canon(templateWithoutHash(rs.spec.template)) === want);
  const maxRev = owned.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
  const rsTable = table('replicasets');
  if (!target) {
    const h = templateHash(d.spec.template);
    const tmpl = clone(d.spec.template);
    tmpl.metadata = tmpl.metadata || {};
    tmpl.metadata.labels = Object.assign({}, tmpl.metadata.labels || {}, { [HASH]: h });
    const sel = clone(d.spec.selector || {});
    sel.matchLabels = Object.assign({}, sel.matchLabels || {}, { [HASH]: h });
    const n = opts.seed ? d.spec.replicas : 0;
    target = normalize(findResource('apps', 'v1', 'replicasets'), {
      metadata: { name: d.metadata.name + '-' + h, namespace: d.metadata.namespace, labels: Object.assign({}, tmpl.metadata.labels),
        annotations: { [REV]: String(maxRev + 1), 'deployment.kubernetes.io/desired-replicas': String(d.spec.replicas) },
        ownerReferences: [ownerRef(d)], creationTimestamp: opts.seed ? undefined : nowISO() },
      spec: { replicas: opts.seed ? d.spec.replicas : d.spec.replicas, selector: sel, template: tmpl },
      status: { replicas: n, readyReplicas: n, availableReplicas: n, fullyLabeledReplicas: n, observedGeneration: 1 },
    });
    rsTable.set(keyOf(target.metadata.namespace, target.metadata.name), target);
    if (!opts.seed) emit('replicasets', 'ADDED', target, null);
  } else if (revisionOf(target) === 0 || revisionOf(target) < maxRev) {
    // rollback to an older template: its ReplicaSet becomes the newest revision
    const old = clone(target);
    const prev = revisionOf(target);
    target.metadata.annotations = Object.assign({}, target.metadata.annotations, { [REV]: String(maxRev + 1) });
    if (prev) {
      const hist = (target.metadata.annotations['deployment.kubernetes.io/revision-history'] || '').split(',').filter(Boolean);
      hist.push(String(prev));
      target.metadata.annotations['deployment.kubernetes.io/revision-history'] = hist.join(',');
    }
    if (!opts.seed) target.spec.replicas = d.spec.replicas;
    target.metadata.resourceVersion = nextRV();
    if (!opts.seed) emit('replicasets', 'MODIFIED', target, old);
  }
  d.metadata.annotations = Object.assign({}, d.metadata.annotations || {}, { [REV]: String(revisionOf(target)) });
  return target;
}

function rolloutCfg(d) {
  return cfg.rollouts[keyOf(d.metadata.namespace, d.metadata.name)] || {};
}

// Called after the spec of a deployment changed (generation already bumped).
function startRollout(d, templateChanged) {
  const rs = templateChanged ? reconcileDeployment(d) : reconcileDeployment(d);
  const rc = rolloutCfg(d);
  const mode = rc.mode || 'complete';
  const delay = rc.delayMs != null ? rc.delayMs : cfg.rolloutDelayMs;
  const tkey = 'deployments/' + keyOf(d.metadata.namespace, d.metadata.name);
  if (timers.has(tkey)) clearTimeout(timers.get(tkey));
  const gen = d.metadata.generation;
  timers.set(tkey, setTimeout(() => {
    timers.delete(tkey);
    const cur = table('deployments').get(keyOf(d.metadata.namespace, d.metadata.name));
    if (!cur || cur.metadata.generation !== gen) return;
    const old = clone(cur);
    const n = cur.spec.replicas;
    const t = nowISO();
    if (mode === 'complete' || cur.spec.paused) {
      cur.status = Object.assign({}, cur.status, { observedGeneration: gen, replicas: n, updatedReplicas: n, readyReplicas: n, availableReplicas: n,
        conditions: completeConditions(cur, rs.metadata.name) });
      delete cur.status.unavailableReplicas;
      settleReplicaSets(cur, rs);
    } else if (mode === 'stuck') {
      const upd = Math.min(1, n);
      cur.status = Object.assign({}, cur.status, { observedGeneration: gen, replicas: n + upd, updatedReplicas: upd, readyReplicas: n, availableReplicas: n, unavailableReplicas: upd,
        conditions: [
          { type: 'Available', status: 'True', lastUpdateTime: t, lastTransitionTime: t, reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' },
          { type: 'Progressing', status: 'True', lastUpdateTime: t, lastTransitionTime: t, reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rs.metadata.name}" is progressing.` }] });
    } else if (mode === 'fail') {
      const upd = Math.min(1, n);
      cur.status = Object.assign({}, cur.status, { observedGeneration: gen, replicas: n + upd, updatedReplicas: upd, readyReplicas: n, availableReplicas: n, unavailableReplicas: upd,
        conditions: [
          { type: 'Available', status: 'True', lastUpdateTime: t, lastTransitionTime: t, reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' },
          { type: 'Progressing', status: 'False', lastUpdateTime: t, lastTransitionTime: t, reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rs.metadata.name}" has timed out progressing.` }] });
    }
    cur.metadata.resourceVersion = nextRV();
    emit('deployments', 'MODIFIED', cur, old);
  }, delay));
}

function settleReplicaSets(d, current) {
  for (const rs of ownedReplicaSets(d)) {
    const old = clone(rs);
    const n = rs === current ? d.spec.replicas : 0;
    rs.spec.replicas = n;
    rs.status = Object.assign({}, rs.status, { replicas: n, readyReplicas: n, availableReplicas: n, fullyLabeledReplicas: n });
    if (canon(old) === canon(rs)) continue;
    rs.metadata.resourceVersion = nextRV();
    emit('replicasets', 'MODIFIED', rs, old);
  }
}

// ---------------------------------------------------------------- selectors
function parseLabelSelector(s) {
  if (!s) return [];
  const reqs = [];
  // split on commas not inside parentheses
  let depth = 0, cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) { reqs.push(cur); cur = ''; } else cur += ch;
  }
  if (cur) reqs.push(cur);
  return reqs.map(r => r.trim()).filter(Boolean).map(r => {
    let m;
    if ((m = r.match(/^(\S+)\s+(in|notin)\s+\((.*)\)$/))) return { key: m[1], op: m[2], values: m[3].split(',').map(v => v.trim()).filter(x => x !== '') };
    if ((m = r.match(/^([^!=\s]+)\s*(==|!=|=)\s*(.*)$/))) return { key: m[1], op: m[2] === '==' ? '=' : m[2], values: [m[3].trim()] };
    if ((m = r.match(/^!\s*(\S+)$/))) return { key: m[1], op: '!' };
    if ((m = r.match(/^(\S+)$/))) return { key: m[1], op: 'exists' };
    throw new Error('unable to parse requirement: ' + r);
  });
}
function labelsMatch(reqs, labels) {
  labels = labels || {};
  return reqs.every(q => {
    const has = Object.prototype.hasOwnProperty.call(labels, q.key);
    const v = labels[q.key];
    switch (q.op) {
      case '=': return has && v === q.values[0];
      case '!=': return !has || v !== q.values[0];
      case 'in': return has && q.values.includes(v);
      case 'notin': return !has || !q.values.includes(v);
      case 'exists': return has;
      case '!': return !has;
    }
    return false;
  });
}
function selectorMatches(sel, labels) { // metav1.LabelSelector
  if (!sel) return false;
  for (const [k, v] of Object.entries(sel.matchLabels || {})) if ((labels || {})[k] !== v) return false;
  for (const e of sel.matchExpressions || []) {
    const q = { key: e.key, values: e.values || [], op: { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' }[e.operator] };
    if (!labelsMatch([q], labels)) return false;
  }
  return true;
}
function selectorString(sel) {
  const parts = Object.entries(sel.matchLabels || {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions || []) {
    if (e.operator === 'In') parts.push(`${e.key} in (${e.values.join(',')})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${e.values.join(',')})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push('!' + e.key);
  }
  return parts.join(',');
}
function parseFieldSelector(s) {
  if (!s) return [];
  return s.split(',').map(x => x.trim()).filter(Boolean).map(r => {
    const m = r.match(/^([^!=]+)(==|!=|=)(.*)$/);
    if (!m) throw new Error('invalid field selector: ' + r);
    return { path: m[1], op: m[2] === '!=' ? '!=' : '=', value: m[3] };
  });
}
function getPath(o, p) { return p.split('.').reduce((a, k) => (a == null ? undefined : a[k]), o); }
function fieldsMatch(reqs, o) {
  return reqs.every(q => {
    let v = getPath(o, q.path);
    v = v == null ? '' : String(v);
    return q.op === '=' ? v === q.value : v !== q.value;
  });
}

// ---------------------------------------------------------------- patches
const MERGE_KEYS = { containers: 'name', initContainers: 'name', ephemeralContainers: 'name', env: 'name', volumes: 'name',
  volumeMounts: 'mountPath', volumeDevices: 'devicePath', ports: 'containerPort', imagePullSecrets: 'name', conditions: 'type',
  hostAliases: 'ip', ownerReferences: 'uid', containerStatuses: 'name', topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name', readinessGates: 'conditionType' };
const MERGE_PRIMITIVE = new Set(['finalizers']);

function strategicMerge(orig, patch) {
  if (!isObj(patch)) return clone(patch);
  if (patch.$patch === 'replace') { const p = clone(patch); delete p.$patch; return stripDirectives(p); }
  if (patch.$patch === 'delete') return undefined;
  const out = isObj(orig) ? clone(orig) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const f = k.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(out[f])) out[f] = out[f].filter(x => !v.includes(x));
      continue;
    }
    if (v === null) { delete out[k]; continue; }
    if (Array.isArray(v)) {
      const mk = MERGE_KEYS[k];
      if (v.some(e => isObj(e) && e.$patch === 'replace')) { out[k] = stripDirectives(v.filter(e => !(isObj(e) && e.$patch === 'replace'))); continue; }
      if (mk && v.every(isObj)) {
        const list = Array.isArray(out[k]) ? clone(out[k]) : [];
        for (const e of v) {
          const idx = list.findIndex(x => isObj(x) && x[mk] === e[mk]);
          if (e.$patch === 'delete') { if (idx >= 0) list.splice(idx, 1); continue; }
          if (idx >= 0) list[idx] = strategicMerge(list[idx], e); else list.push(stripDirectives(clone(e)));
        }
        out[k] = list;
      } else if (MERGE_PRIMITIVE.has(k)) {
        const list = Array.isArray(out[k]) ? clone(out[k]) : [];
        for (const e of v) if (!list.includes(e)) list.push(e);
        out[k] = list;
      } else out[k] = stripDirectives(clone(v));
      continue;
    }
    if (isObj(v)) { const m = strategicMerge(out[k], v); if (m === undefined) delete out[k]; else out[k] = m; continue; }
    out[k] = v;
  }
  return out;
}
function stripDirectives(v) {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObj(v)) return v;
  const o = {};
  for (const [k, x] of Object.entries(v)) { if (k.startsWith('$')) continue; o[k] = stripDirectives(x); }
  return o;
}
function mergePatch(orig, patch) { // RFC 7386
  if (!isObj(patch)) return clone(patch);
  const out = isObj(orig) ? clone(orig) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k]; else out[k] = mergePatch(out[k], v);
  }
  return out;
}
function jsonPatch(doc, ops) { // RFC 6902
  if (!Array.isArray(ops)) throw new PatchError('json patch must be an array');
  doc = clone(doc);
  const parse = (p) => {
    if (p === '') return [];
    if (p[0] !== '/') throw new PatchError(`invalid JSON pointer "${p}"`);
    return p.slice(1).split('/').map(s => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  };
  const parentOf = (toks) => {
    let cur = doc;
    for (const t of toks.slice(0, -1)) {
      if (cur == null || typeof cur !== 'object' || !(t in cur)) throw new PatchError(`doc is missing path: "/${toks.join('/')}"`);
      cur = cur[t];
    }
    return cur;
  };
  const getv = (toks) => { let c = doc; for (const t of toks) { if (c == null || typeof c !== 'object' || !(t in c)) throw new PatchError(`doc is missing path: "/${toks.join('/')}"`); c = c[t]; } return c; };
  const add = (toks, val) => {
    if (!toks.length) { doc = val; return; }
    const par = parentOf(toks); const last = toks[toks.length - 1];
    if (Array.isArray(par)) { const i = last === '-' ? par.length : parseInt(last, 10); if (isNaN(i) || i > par.length) throw new PatchError('array index out of bounds'); par.splice(i, 0, val); }
    else if (isObj(par)) par[last] = val; else throw new PatchError('cannot add to a non-container');
  };
  const remove = (toks) => {
    const par = parentOf(toks); const last = toks[toks.length - 1];
    if (Array.isArray(par)) { const i = parseInt(last, 10); if (isNaN(i) || i >= par.length) throw new PatchError('array index out of bounds'); return par.splice(i, 1)[0]; }
    if (!isObj(par) || !(last in par)) throw new PatchError(`Unable to remove nonexistent key: ${last}: missing value`);
    const v = par[last]; delete par[last]; return v;
  };
  for (const op of ops) {
    const toks = parse(op.path);
    switch (op.op) {
      case 'add': add(toks, clone(op.value)); break;
      case 'remove': remove(toks); break;
      case 'replace': getv(toks); if (!toks.length) doc = clone(op.value); else { const par = parentOf(toks); par[toks[toks.length - 1]] = clone(op.value); } break;
      case 'move': { const v = remove(parse(op.from)); add(toks, v); break; }
      case 'copy': add(toks, clone(getv(parse(op.from)))); break;
      case 'test': if (canon(getv(toks)) !== canon(op.value)) throw new PatchError(`testing value /${toks.join('/')} failed: test failed`); break;
      default: throw new PatchError(`Unexpected kind: ${op.op}`);
    }
  }
  return doc;
}
class PatchError extends Error {}

// ---------------------------------------------------------------- HTTP helpers
class ApiError extends Error {
  constructor(code, reason, message, details) { super(message); this.code = code; this.reason = reason; this.details = details; }
}
function statusObj(code, reason, message, details) {
  const s = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details) s.details = details;
  return s;
}
function notFound(r, name) {
  const gr = r.group ? `${r.resource}.${r.group}` : r.resource;
  return new ApiError(404, 'NotFound', `${gr} "${name}" not found`, { name, group: r.group || undefined, kind: r.resource });
}
function invalid(r, name, causes) {
  const kindGroup = r.group ? `${r.kind}.${r.group}` : r.kind;
  const msg = `${kindGroup} "${name}" is invalid: ` + (causes.length === 1 ? `${causes[0].field}: ${causes[0].message}` : '[' + causes.map(c => `${c.field}: ${c.message}`).join(', ') + ']');
  return new ApiError(422, 'Invalid', msg, { name, group: r.group || undefined, kind: r.kind, causes: causes.map(c => ({ reason: c.reason || 'FieldValueInvalid', message: c.message, field: c.field })) });
}
function sendJSON(res, code, obj, ctype) {
  const body = JSON.stringify(obj);
  res.writeHead(code, { 'Content-Type': ctype || 'application/json', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-cache, private' });
  res.end(body);
}
function sendError(res, e) {
  if (e instanceof ApiError) return sendJSON(res, e.code, statusObj(e.code, e.reason, e.message, e.details));
  if (e instanceof PatchError) return sendJSON(res, 422, statusObj(422, 'Invalid', e.message));
  console.error(e && e.stack || e);
  return sendJSON(res, 500, statusObj(500, 'InternalError', 'Internal error occurred: ' + (e && e.message || e)));
}
const sleep = (ms) => new Promise(r => setTimeout(r, ms));
function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
function parseQuery(sp) {
  const q = {};
  for (const [k, v] of sp) {
    if (k in q) { if (!Array.isArray(q[k])) q[k] = [q[k]]; q[k].push(v); } else q[k] = v;
  }
  return q;
}
const qbool = (v) => v === 'true' || v === '1';
const qall = (sp, k) => sp.getAll(k);

// ---------------------------------------------------------------- recording
function recordRequest(rec) {
  rec.seq = ++seq;
  rec.time = new Date().toISOString();
  records.push(rec);
  if (args.record) fs.appendFileSync(args.record, JSON.stringify(rec) + '\n');
}
function makeRecord(req, url, body) {
  const ct = req.headers['content-type'] || '';
  const rec = { method: req.method, path: url.pathname, query: parseQuery(url.searchParams), rawQuery: url.search ? url.search.slice(1) : '' };
  if (body && body.length) {
    if (/json/.test(ct) || /^\s*[{[]/.test(body.toString('utf8', 0, 1))) {
      try { rec.body = JSON.parse(body.toString('utf8')); } catch (e) { rec.body = body.toString('utf8'); }
    } else if (/^[\x09\x0a\x0d\x20-\x7e\u00a0-\uffff]*$/.test(body.toString('utf8'))) rec.body = body.toString('utf8');
    else rec.bodyBase64 = body.toString('base64');
  }
  rec.headers = {};
  for (const h of ['content-type', 'accept', 'user-agent', 'kubectl-command', 'upgrade', 'sec-websocket-protocol', 'x-stream-protocol-version']) {
    if (req.headers[h] !== undefined) rec.headers[h] = req.headers[h];
  }
  if (req.headers.authorization) rec.headers.authorization = req.headers.authorization.replace(/^(Bearer)\s+.*/i, '$1 <redacted>');
  return rec;
}

// ---------------------------------------------------------------- faults and auth
function matchFault(method, pathname, search) {
  for (const f of cfg.faults) {
    if (f.method && f.method.toUpperCase() !== method) continue;
    if (f.path && f.path !== pathname && f.path !== pathname + search) continue;
    if (f.pathPrefix && !pathname.startsWith(f.pathPrefix)) continue;
    if (f.pathRegex && !new RegExp(f.pathRegex).test(pathname + search)) continue;
    if (f.times != null && f.used >= f.times) continue;
    f.used++;
    return f;
  }
  return null;
}
function faultError(f) {
  const code = f.status;
  const reasons = { 400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 409: 'Conflict', 410: 'Expired', 422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout' };
  return new ApiError(code, f.reason || reasons[code] || 'Unknown', f.message || (code === 500 ? 'Internal error occurred: injected fault' : `injected fault (${code})`));
}
function checkAuth(req) {
  if (!cfg.token) return null;
  const h = req.headers.authorization || '';
  if (h === 'Bearer ' + cfg.token) return null;
  return new ApiError(401, 'Unauthorized', 'Unauthorized');
}

// ---------------------------------------------------------------- discovery
function versionInfo() {
  const m = /^v(\d+)\.(\d+)/.exec(cfg.serverVersion) || [0, '1', '32'];
  return { major: m[1], minor: m[2], gitVersion: cfg.serverVersion, gitCommit: '0000000000000000000000000000000000000000', gitTreeState: 'clean',
    buildDate: '2024-12-11T00:00:00Z', goVersion: 'go1.23.3', compiler: 'gc', platform: 'linux/amd64' };
}
function groupsList() {
  const groups = [];
  for (const r of RESOURCES) if (r.group && !groups.includes(r.group)) groups.push(r.group);
  return groups;
}
function legacyResourceList(group, version) {
  const rs = RESOURCES.filter(r => r.group === group && r.version === version);
  if (!rs.length) return null;
  const resources = [];
  for (const r of rs) {
    const e = { name: r.resource, singularName: singular(r), namespaced: r.namespaced, kind: r.kind, verbs: VERBS.slice() };
    if (r.short) e.shortNames = r.short;
    if (r.categories) e.categories = r.categories;
    resources.push(e);
    for (const [s, kind] of Object.entries(r.sub || {})) {
      const se = { name: r.resource + '/' + s, singularName: '', namespaced: r.namespaced, kind, verbs: SUBVERBS[s] || ['get'] };
      if (s === 'scale') { se.group = 'autoscaling'; se.version = 'v1'; }
      if (s === 'eviction') { se.group = 'policy'; se.version = 'v1'; }
      resources.push(se);
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? group + '/' + version : version, resources };
}
function aggregatedGroup(group) {
  const rs = RESOURCES.filter(r => r.group === group);
  const byVersion = {};
  for (const r of rs) (byVersion[r.version] = byVersion[r.version] || []).push(r);
  return {
    metadata: group ? { name: group, creationTimestamp: null } : { creationTimestamp: null },
    versions: Object.entries(byVersion).map(([v, list]) => ({
      version: v,
      resources: list.map(r => {
        const e = { resource: r.resource, responseKind: { group: r.group, version: r.version, kind: r.kind }, scope: r.namespaced ? 'Namespaced' : 'Cluster',
          singularResource: singular(r), verbs: VERBS.slice() };
        if (r.short) e.shortNames = r.short;
        if (r.categories) e.categories = r.categories;
        const subs = Object.entries(r.sub || {});
        if (subs.length) {
          e.subresources = subs.map(([s, kind]) => ({ subresource: s,
            responseKind: s === 'scale' ? { group: 'autoscaling', version: 'v1', kind } : s === 'eviction' ? { group: 'policy', version: 'v1', kind } : { group: r.group, version: r.version, kind },
            verbs: SUBVERBS[s] || ['get'] }));
        }
        return e;
      }),
      freshness: 'Current',
    })),
  };
}
function wantsAggregated(req) {
  const a = req.headers.accept || '';
  if (cfg.discovery !== 'aggregated' || !/as=APIGroupDiscoveryList/.test(a)) return null;
  for (const part of a.split(',')) {
    if (!/as=APIGroupDiscoveryList/.test(part) || !/g=apidiscovery\.k8s\.io/.test(part)) continue;
    const v = /(?:^|;)\s*v=([^;\s]+)/.exec(part);
    if (v && (v[1] === 'v2' || v[1] === 'v2beta1')) return v[1];
  }
  return null;
}
function handleDiscovery(req, res, pathname) {
  const p = pathname.replace(/\/+$/, '') || '/';
  if (p === '/version') return sendJSON(res, 200, versionInfo()), true;
  if (p === '/healthz' || p === '/livez' || p === '/readyz') { res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end('ok'); return true; }
  if (p === '/api' || p === '/apis') {
    const v = wantsAggregated(req);
    if (v) {
      const items = p === '/api' ? [aggregatedGroup('')] : groupsList().map(aggregatedGroup);
      sendJSON(res, 200, { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/' + v, metadata: {}, items },
        `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`);
      return true;
    }
    if (p === '/api') {
      sendJSON(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: req.headers.host || '127.0.0.1' }] });
    } else {
      sendJSON(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: groupsList().map(g => ({ name: g, versions: [{ groupVersion: g + '/v1', version: 'v1' }], preferredVersion: { groupVersion: g + '/v1', version: 'v1' } })) });
    }
    return true;
  }
  let m;
  if ((m = /^\/apis\/([^/]+)$/.exec(p)) && groupsList().includes(m[1])) {
    sendJSON(res, 200, { kind: 'APIGroup', apiVersion: 'v1', name: m[1], versions: [{ groupVersion: m[1] + '/v1', version: 'v1' }], preferredVersion: { groupVersion: m[1] + '/v1', version: 'v1' } });
    return true;
  }
  if (p === '/api/v1' || ((m = /^\/apis\/([^/]+)\/([^/]+)$/.exec(p)))) {
    const l = p === '/api/v1' ? legacyResourceList('', 'v1') : legacyResourceList(m[1], m[2]);
    if (l) { sendJSON(res, 200, l); return true; }
  }
  return false;
}

// ---------------------------------------------------------------- tables (human output)
function age(ts) {
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(ts)) / 1000));
  if (s < 120) return s + 's';
  if (s < 3600 * 2) return Math.floor(s / 60) + 'm';
  if (s < 86400 * 2) return Math.floor(s / 3600) + 'h';
  return Math.floor(s / 86400) + 'd';
}
function toTable(r, items, listMeta) {
  const col = (name, type, priority, format) => ({ name, type, format: format || '', description: name, priority: priority || 0 });
  let cols, cells;
  if (r.resource === 'pods') {
    cols = [col('Name', 'string', 0, 'name'), col('Ready', 'string'), col('Status', 'string'), col('Restarts', 'string'), col('Age', 'string'), col('IP', 'string', 1), col('Node', 'string', 1)];
    cells = (p) => {
      const cs = (p.status && p.status.containerStatuses) || [];
      const ready = cs.filter(c => c.ready).length;
      const restarts = cs.reduce((a, c) => a + (c.restartCount || 0), 0);
      let status = (p.status && p.status.phase) || 'Unknown';
      for (const c of cs) { if (c.state && c.state.waiting && c.state.waiting.reason) status = c.state.waiting.reason; }
      if (p.metadata.deletionTimestamp) status = 'Terminating';
      return [p.metadata.name, `${ready}/${p.spec.containers.length}`, status, String(restarts), age(p.metadata.creationTimestamp), (p.status || {}).podIP || '<none>', p.spec.nodeName || '<none>'];
    };
  } else if (r.resource === 'deployments') {
    cols = [col('Name', 'string', 0, 'name'), col('Ready', 'string'), col('Up-to-date', 'integer'), col('Available', 'integer'), col('Age', 'string'), col('Containers', 'string', 1), col('Images', 'string', 1), col('Selector', 'string', 1)];
    cells = (d) => { const s = d.status || {}; const cs = ((d.spec.template || {}).spec || {}).containers || [];
      return [d.metadata.name, `${s.readyReplicas || 0}/${d.spec.replicas}`, s.updatedReplicas || 0, s.availableReplicas || 0, age(d.metadata.creationTimestamp), cs.map(c => c.name).join(','), cs.map(c => c.image).join(','), selectorString(d.spec.selector || {})]; };
  } else if (r.resource === 'replicasets') {
    cols = [col('Name', 'string', 0, 'name'), col('Desired', 'integer'), col('Current', 'integer'), col('Ready', 'integer'), col('Age', 'string')];
    cells = (x) => [x.metadata.name, x.spec.replicas || 0, (x.status || {}).replicas || 0, (x.status || {}).readyReplicas || 0, age(x.metadata.creationTimestamp)];
  } else if (r.resource === 'events') {
    cols = [col('Last Seen', 'string'), col('Type', 'string'), col('Reason', 'string'), col('Object', 'string'), col('Message', 'string'), col('Name', 'string', 1, 'name')];
    cells = (e) => { const io = e.involvedObject || {};
      return [age(e.lastTimestamp || e.eventTime || e.metadata.creationTimestamp), e.type || 'Normal', e.reason || '', `${(io.kind || '').toLowerCase()}/${io.name || ''}`, e.message || '', e.metadata.name]; };
  } else if (r.resource === 'namespaces') {
    cols = [col('Name', 'string', 0, 'name'), col('Status', 'string'), col('Age', 'string')];
    cells = (x) => [x.metadata.name, (x.status || {}).phase || 'Active', age(x.metadata.creationTimestamp)];
  } else {
    cols = [col('Name', 'string', 0, 'name'), col('Age', 'string')];
    cells = (x) => [x.metadata.name, age(x.metadata.creationTimestamp)];
  }
  return { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: listMeta, columnDefinitions: cols,
    rows: items.map(o => ({ cells: cells(o), object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata } })) };
}
const wantsTable = (req) => /as=Table/.test(req.headers.accept || '');

// ---------------------------------------------------------------- watch
function emit(resource, type, obj, old) {
  const ev = { rv: parseInt(obj.metadata.resourceVersion, 10), resource, type, object: clone(obj), old: old ? clone(old) : null };
  history.push(ev);
  if (history.length > HISTORY_MAX) history.shift();
  for (const w of watchers) deliver(w, ev);
}
function watchMatches(w, o) {
  if (!o) return false;
  if (w.namespace && o.metadata.namespace !== w.namespace) return false;
  return labelsMatch(w.labels, o.metadata.labels) && fieldsMatch(w.fields, o);
}
function deliver(w, ev) {
  if (ev.resource !== w.resource) return;
  const now = watchMatches(w, ev.object);
  const before = ev.type === 'MODIFIED' && watchMatches(w, ev.old);
  let type = ev.type;
  if (ev.type === 'MODIFIED') {
    if (now && !before) type = 'ADDED';
    else if (!now && before) type = 'DELETED';
    else if (!now) return;
  } else if (!now) return;
  w.send(type, ev.object);
}
function startWatch(req, res, r, ns, sp) {
  const w = { resource: r.resource, namespace: ns, labels: parseLabelSelector(sp.get('labelSelector')), fields: parseFieldSelector(sp.get('fieldSelector')) };
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  // Send the headers now, like the real API server: client-go cannot abandon a watch whose
  // response headers have not arrived, so kubectl would hang until timeoutSeconds on exit.
  res.flushHeaders();
  w.send = (type, obj) => { res.write(JSON.stringify({ type, object: obj }) + '\n'); };
  const rv = sp.get('resourceVersion');
  if (qbool(sp.get('sendInitialEvents')) || !rv || rv === '0') {
    for (const o of listObjects(r, ns, w.labels, w.fields)) w.send('ADDED', o);
    if (qbool(sp.get('sendInitialEvents'))) {
      w.send('BOOKMARK', { kind: r.kind, apiVersion: gv(r), metadata: { resourceVersion: String(rvCounter), annotations: { 'k8s.io/initial-events-end': 'true' } } });
    }
  } else {
    const n = parseInt(rv, 10);
    if (history.length && n < history[0].rv - 1) {
      w.send('ERROR', statusObj(410, 'Expired', `too old resource version: ${n} (${history[0].rv - 1})`));
      res.end();
      return;
    }
    for (const ev of history) if (ev.rv > n) deliver(w, ev);
  }
  watchers.add(w);
  const ts = parseInt(sp.get('timeoutSeconds') || '0', 10);
  let timer = null;
  const done = () => { watchers.delete(w); if (timer) clearTimeout(timer); };
  if (ts > 0) timer = setTimeout(() => { done(); res.end(); }, ts * 1000);
  res.on('close', done);
  req.on('close', done);
}

// ---------------------------------------------------------------- objects
function listObjects(r, ns, labels, fields) {
  const out = [];
  for (const o of table(r.resource).values()) {
    if (ns && o.metadata.namespace !== ns) continue;
    if (!labelsMatch(labels || [], o.metadata.labels)) continue;
    if (!fieldsMatch(fields || [], o)) continue;
    out.push(o);
  }
  out.sort((a, b) => keyOf(a.metadata.namespace, a.metadata.name).localeCompare(keyOf(b.metadata.namespace, b.metadata.name)));
  return out;
}
function getObject(r, ns, name) {
  const key = keyOf(r.namespaced ? ns : '', name);
  const pending = r.resource === 'pods' && startsAfterReads.get(key);
  if (pending && --pending.left <= 0) {
    startsAfterReads.delete(key);
    pending.start();
  }
  const o = table(r.resource).get(key);
  if (!o) throw notFound(r, name);
  return o;
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
function validate(r, obj, old) {
  const causes = [];
  const name = obj.metadata && obj.metadata.name;
  for (const [k, v] of Object.entries((obj.metadata || {}).labels || {})) {
    if (!LABEL_KEY.test(k)) causes.push({ field: 'metadata.labels', message: `Invalid value: "${k}": name part must consist of alphanumeric characters, '-', '_' or '.'` });
    if (typeof v !== 'string' || !LABEL_VALUE.test(v)) causes.push({ field: 'metadata.labels', message: `Invalid value: "${v}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character` });
  }
  const checkContainers = (list, field) => (list || []).forEach((c, i) => {
    if (!c.name) causes.push({ field: `${field}[${i}].name`, message: 'Required value', reason: 'FieldValueRequired' });
    if (!c.image) causes.push({ field: `${field}[${i}].image`, message: 'Required value', reason: 'FieldValueRequired' });
  });
  if (r.resource === 'pods') {
    checkContainers(obj.spec.containers, 'spec.containers');
    checkContainers(obj.spec.ephemeralContainers, 'spec.ephemeralContainers');
    if (old) {
      const strip = (p) => { const s = clone(p.spec); delete s.ephemeralContainers; delete s.activeDeadlineSeconds; delete s.tolerations;
        for (const c of [...(s.containers || []), ...(s.initContainers || [])]) delete c.image; return canon(s); };
      if (strip(obj) !== strip(old)) causes.push({ field: 'spec', message: 'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)', reason: 'FieldValueForbidden' });
    }
  }
  if (r.resource === 'deployments' || r.resource === 'replicasets' || r.resource === 'statefulsets') {
    const t = obj.spec.template || {};
    checkContainers((t.spec || {}).containers, 'spec.template.spec.containers');
    if (!((t.spec || {}).containers || []).length) causes.push({ field: 'spec.template.spec.containers', message: 'Required value', reason: 'FieldValueRequired' });
    if (obj.spec.selector && !selectorMatches(obj.spec.selector, (t.metadata || {}).labels || {})) {
      causes.push({ field: 'spec.template.metadata.labels', message: `Invalid value: ${JSON.stringify((t.metadata || {}).labels || {})}: \`selector\` does not match template \`labels\`` });
    }
    if (old && canon(old.spec.selector) !== canon(obj.spec.selector)) {
      causes.push({ field: 'spec.selector', message: `Invalid value: ${JSON.stringify(obj.spec.selector)}: field is immutable` });
    }
    if (typeof obj.spec.replicas !== 'number' || obj.spec.replicas < 0) causes.push({ field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(obj.spec.replicas)}: must be greater than or equal to 0` });
  }
  if (causes.length) throw invalid(r, name, causes);
}

// store an updated object: checks, resourceVersion, generation, controllers, events
function commitUpdate(r, old, obj, opts) {
  opts = opts || {};
  obj.apiVersion = gv(r); obj.kind = r.kind;
  if (!obj.metadata || obj.metadata.name !== old.metadata.name) throw new ApiError(400, 'BadRequest', `the name of the object (${obj.metadata && obj.metadata.name}) does not match the name on the URL (${old.metadata.name})`);
  if (obj.metadata.resourceVersion && opts.checkRV && obj.metadata.resourceVersion !== old.metadata.resourceVersion) {
    const gr = r.group ? `${r.resource}.${r.group}` : r.resource;
    throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${gr} "${old.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`, { name: old.metadata.name, group: r.group || undefined, kind: r.resource });
  }
  // immutable system fields
  for (const f of ['uid', 'creationTimestamp', 'namespace', 'generation', 'deletionTimestamp']) {
    if (old.metadata[f] === undefined) delete obj.metadata[f]; else obj.metadata[f] = old.metadata[f];
  }
  if (opts.subresource !== 'status' && old.status !== undefined && r.resource !== 'pods') obj.status = clone(old.status);
  if (opts.subresource !== 'status' && r.resource === 'pods') obj.status = clone(old.status);
  applyDefaults(r, obj);
  validate(r, obj, old);
  const specChanged = canon(old.spec) !== canon(obj.spec);
  const templateChanged = canon((old.spec || {}).template) !== canon((obj.spec || {}).template);
  if (canon(old) === canon(Object.assign({}, obj, { metadata: Object.assign({}, obj.metadata, { resourceVersion: old.metadata.resourceVersion, managedFields: old.metadata.managedFields }) }))) {
    return old; // no-op: real API server does not bump resourceVersion
  }
  if (specChanged && obj.metadata.generation != null) obj.metadata.generation = old.metadata.generation + 1;
  obj.metadata.resourceVersion = nextRV();
  const t = table(r.resource);
  t.set(keyOf(obj.metadata.namespace, obj.metadata.name), obj);
  if (r.resource === 'deployments' && specChanged) {
    startRollout(obj, templateChanged);
    obj.metadata.resourceVersion = nextRV();
  }
  if (r.resource === 'pods') podSideEffects(obj, old);
  emit(r.resource, 'MODIFIED', obj, old);
  return obj;
}

function podSideEffects(p, old) {
  // new ephemeral containers: waiting -> running after a short delay
  const known = new Set(((old.spec || {}).ephemeralContainers || []).map(c => c.name));
  const added = (p.spec.ephemeralContainers || []).filter(c => !known.has(c.name));
  if (!added.length) return;
  p.status.ephemeralContainerStatuses = p.status.ephemeralContainerStatuses || [];
  for (const c of added) {
    p.status.ephemeralContainerStatuses.push({ name: c.name, image: c.image, imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } });
  }
  const nsName = keyOf(p.metadata.namespace, p.metadata.name);
  const start = () => {
    const cur = table('pods').get(nsName);
    if (!cur) return;
    const before = clone(cur);
    for (const s of cur.status.ephemeralContainerStatuses || []) {
      if (added.some(c => c.name === s.name) && s.state.waiting) {
        s.state = { running: { startedAt: nowISO() } };
        s.containerID = 'containerd://' + crypto.createHash('sha1').update(s.name).digest('hex');
      }
    }
    cur.metadata.resourceVersion = nextRV();
    emit('pods', 'MODIFIED', cur, before);
  };
  // Counted reads make "the client polled N times" exact, however slow the client runs.
  if (cfg.ephemeralStartAfterReads > 0) startsAfterReads.set(nsName, { left: cfg.ephemeralStartAfterReads, start });
  else setTimeout(start, cfg.ephemeralStartDelayMs);
}

function setContainerTerminated(ns, pod, container, code) {
  const cur = table('pods').get(keyOf(ns, pod));
  if (!cur) return;
  const s = (cur.status.ephemeralContainerStatuses || []).find(x => x.name === container);
  if (!s || !s.state.running) return;
  const before = clone(cur);
  s.state = { terminated: { exitCode: code, reason: code ? 'Error' : 'Completed', startedAt: s.state.running.startedAt, finishedAt: nowISO(), containerID: s.containerID } };
  cur.metadata.resourceVersion = nextRV();
  emit('pods', 'MODIFIED', cur, before);
}

function applyPatch(ctype, orig, patch) {
  const t = (ctype || '').split(';')[0].trim();
  if (t === 'application/strategic-merge-patch+json') { if (!isObj(patch)) throw new ApiError(400, 'BadRequest', 'strategic merge patch must be an object'); return strategicMerge(orig, patch); }
  if (t === 'application/merge-patch+json') return mergePatch(orig, patch);
  if (t === 'application/json-patch+json') return jsonPatch(orig, patch);
  if (t === 'application/apply-patch+yaml') throw new ApiError(415, 'UnsupportedMediaType', 'server-side apply is not supported by the medic test API server');
  throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`);
}

function deleteObject(r, obj, opts) {
  const k = keyOf(obj.metadata.namespace, obj.metadata.name);
  const t = table(r.resource);
  if (r.resource === 'pods' && cfg.podDeletionDelayMs > 0 && !(opts && opts.gracePeriodSeconds === 0)) {
    if (obj.metadata.deletionTimestamp) return obj;
    const old = clone(obj);
    obj.metadata.deletionTimestamp = new Date(Date.now() + 30000).toISOString().replace(/\.\d+Z$/, 'Z');
    obj.metadata.deletionGracePeriodSeconds = 30;
    obj.metadata.resourceVersion = nextRV();
    emit('pods', 'MODIFIED', obj, old);
    setTimeout(() => { if (t.get(k) === obj) { t.delete(k); obj.metadata.resourceVersion = nextRV(); emit('pods', 'DELETED', obj, null); } }, cfg.podDeletionDelayMs);
    return obj;
  }
  t.delete(k);
  obj.metadata.resourceVersion = nextRV();
  emit(r.resource, 'DELETED', obj, null);
  if (r.resource === 'deployments') {
    for (const rs of ownedReplicaSets(obj)) { table('replicasets').delete(keyOf(rs.metadata.namespace, rs.metadata.name)); rs.metadata.resourceVersion = nextRV(); emit('replicasets', 'DELETED', rs, null); }
  }
  if (r.resource === 'namespaces') {
    for (const rr of RESOURCES) if (rr.namespaced) for (const o of listObjects(rr, obj.metadata.name)) table(rr.resource).delete(keyOf(o.metadata.namespace, o.metadata.name));
  }
  return obj;
}

// ---------------------------------------------------------------- logs / proxy
function containerNames(p, withEphemeral) {
  const n = (p.spec.containers || []).map(c => c.name).concat((p.spec.initContainers || []).map(c => c.name));
  return withEphemeral ? n.concat((p.spec.ephemeralContainers || []).map(c => c.name)) : n;
}
function handleLog(res, r, pod, sp) {
  const names = containerNames(pod, true);
  let c = sp.get('container');
  if (!c) {
    if (pod.spec.containers.length === 1) c = pod.spec.containers[0].name;
    else throw new ApiError(400, 'BadRequest', `a container name must be specified for pod ${pod.metadata.name}, choose one of: [${pod.spec.containers.map(x => x.name).join(' ')}]`);
  }
  if (!names.includes(c)) throw new ApiError(400, 'BadRequest', `container ${c} is not valid for pod ${pod.metadata.name}`);
  const ent = cfg.logs[`${pod.metadata.namespace}/${pod.metadata.name}/${c}`];
  const previous = qbool(sp.get('previous'));
  let text;
  if (previous) {
    text = ent && typeof ent === 'object' ? ent.previous : undefined;
    if (text == null) throw new ApiError(400, 'BadRequest', `previous terminated container "${c}" in pod "${pod.metadata.name}" not found`);
  } else {
    text = ent == null ? '' : (typeof ent === 'string' ? ent : (ent.current || ''));
  }
  let lines = text.split('\n');
  const trailing = text.endsWith('\n');
  if (trailing) lines.pop();
  if (sp.has('tailLines')) { const n = parseInt(sp.get('tailLines'), 10); lines = n > 0 ? lines.slice(-n) : (n === 0 ? [] : lines); }
  if (qbool(sp.get('timestamps'))) {
    const base = Date.parse(pod.metadata.creationTimestamp);
    lines = lines.map((l, i) => new Date(base + i * 1000).toISOString().replace(/\.(\d+)Z$/, '.$1000000Z') + ' ' + l);
  }
  let out = lines.join('\n') + (lines.length && (trailing || sp.has('tailLines')) ? '\n' : '');
  if (sp.has('limitBytes')) out = Buffer.from(out).subarray(0, parseInt(sp.get('limitBytes'), 10)).toString();
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
  res.end(out);
}
function handleProxy(req, res, r, obj, nameWithPort, subpath, search) {
  const base = r.resource === 'pods' ? '' : r.resource + ':';
  const ns = obj.metadata.namespace;
  const keys = [`${base}${ns}/${nameWithPort}`, `${base}${ns}/${obj.metadata.name}`];
  for (const k of keys) {
    const m = cfg.proxy[k];
    if (!m) continue;
    const cands = [subpath + search, subpath, subpath.replace(/\/$/, '') + search, subpath.replace(/\/$/, '')];
    for (const c of cands) {
      if (!(c in m)) continue;
      let e = m[c];
      if (typeof e === 'string') e = { body: e };
      if (e.method && e.method.toUpperCase() !== req.method) continue;
      const send = () => {
        let body = e.bodyBase64 ? Buffer.from(e.bodyBase64, 'base64') : e.bodyFile ? fs.readFileSync(path.resolve(cfg.baseDir, e.bodyFile)) : Buffer.from(typeof e.body === 'string' ? e.body : JSON.stringify(e.body == null ? '' : e.body));
        res.writeHead(e.status || 200, Object.assign({ 'Content-Type': e.contentType || 'text/plain; charset=utf-8', 'Content-Length': body.length }, e.headers || {}));
        res.end(body);
      };
      if (e.delayMs) setTimeout(send, e.delayMs); else send();
      return;
    }
  }
  const ip = (obj.status || {}).podIP || '10.0.0.1';
  const port = nameWithPort.includes(':') ? nameWithPort.split(':').pop() : '80';
  throw new ApiError(503, 'ServiceUnavailable', `error trying to reach service: dial tcp ${ip}:${port}: connect: connection refused`);
}

// ---------------------------------------------------------------- exec / attach
function findExecRule(ns, pod, container, command, image, isAttach) {
  for (const rule of cfg.exec) {
    if (rule.namespace && rule.namespace !== ns) continue;
    if (rule.pod && rule.pod !== pod && !(rule.pod.endsWith('*') && pod.startsWith(rule.pod.slice(0, -1)))) continue;
    if (rule.container && rule.container !== container) continue;
    if (rule.image && rule.image !== image) continue;
    if (rule.attach != null && !!rule.attach !== isAttach) continue;
    if (rule.command && canon(rule.command) !== canon(command)) continue;
    if (rule.commandPrefix && !rule.commandPrefix.every((x, i) => command[i] === x)) continue;
    if (rule.commandRegex && !new RegExp(rule.commandRegex).test(command.join(' '))) continue;
    return rule;
  }
  return null;
}
function ruleOutput(rule, field) {
  if (rule[field + 'Base64'] != null) return Buffer.from(rule[field + 'Base64'], 'base64');
  if (rule[field + 'File'] != null) return fs.readFileSync(path.resolve(cfg.baseDir, rule[field + 'File']));
  return Buffer.from(rule[field] || '');
}

// Resolves what an exec/attach session should do; throws ApiError for HTTP-level failures.
function prepareStream(kind, ns, name, sp) {
  const podR = findResource('', 'v1', 'pods');
  const pod = getObject(podR, ns, name);
  let container = sp.get('container');
  const all = containerNames(pod, true);
  if (!container) container = pod.spec.containers[0].name;
  if (!all.includes(container)) throw new ApiError(400, 'BadRequest', `container ${container} is not valid for pod ${name}`);
  if ((pod.status || {}).phase && pod.status.phase !== 'Running') throw new ApiError(400, 'BadRequest', `unable to upgrade connection: container not found ("${container}")`);
  const spec = [...(pod.spec.containers || []), ...(pod.spec.initContainers || []), ...(pod.spec.ephemeralContainers || [])].find(c => c.name === container) || {};
  const command = kind === 'exec' ? qall(sp, 'command') : [...(spec.command || []), ...(spec.args || [])];
  if (kind === 'exec' && !command.length) throw new ApiError(400, 'BadRequest', 'you must specify at least 1 command');
  const rule = findExecRule(ns, name, container, command, spec.image, kind === 'attach');
  return { pod, container, command, rule, stdin: qbool(sp.get('stdin')), stdout: qbool(sp.get('stdout')), stderr: qbool(sp.get('stderr')), tty: qbool(sp.get('tty')),
    isEphemeral: (pod.spec.ephemeralContainers || []).some(c => c.name === container) };
}
function finalStatus(plan) {
  if (!plan.rule) {
    return statusObj(500, 'InternalError', `Internal error occurred: error executing command in container: failed to exec in container: medic kube-api test server has no exec rule for container "${plan.container}" command ${JSON.stringify(plan.command)}`);
  }
  if (plan.rule.error) return statusObj(plan.rule.errorCode || 500, plan.rule.errorReason || 'InternalError', plan.rule.error);
  const code = plan.rule.exitCode || 0;
  if (!code) return { metadata: {}, status: 'Success' };
  return { metadata: {}, status: 'Failure', message: `command terminated with non-zero exit code: error executing command [${plan.command.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: String(code) }] } };
}

// One exec/attach session, independent of the transport (WebSocket or SPDY).
// io: { out(channel, buf), status(statusJSON), end() }; channel 1 = stdout, 2 = stderr.
class StreamSession {
  constructor(plan, rec, meta, io) {
    this.plan = plan; this.rec = rec; this.meta = meta; this.io = io;
    this.stdinChunks = []; this.stdinClosed = false; this.finished = false; this.started = false; this.onStdinClose = null;
  }
  stdinData(b) { this.stdinChunks.push(Buffer.from(b)); }
  stdinEnd() { this.stdinClosed = true; if (this.onStdinClose) this.onStdinClose(); }
  clientGone() { if (!this.finished) this.finish({ metadata: {}, status: 'Success' }, true); }
  begin() {
    const plan = this.plan;
    // With stdin, wait until the client closes it (v5 close signal / SPDY FIN) or a timeout.
    if (plan.stdin && !(plan.rule && plan.rule.waitForStdin === false)) {
      const limit = (plan.rule && plan.rule.stdinTimeoutMs) || 2000;
      const t = setTimeout(() => { this.onStdinClose = null; this.run(); }, this.meta.halfClose ? limit : Math.min(limit, 500));
      this.onStdinClose = () => { clearTimeout(t); this.onStdinClose = null; this.run(); };
      if (this.stdinClosed) this.onStdinClose();
    } else this.run();
  }
  run() {
    if (this.started) return;
    this.started = true;
    const plan = this.plan, rule = plan.rule;
    setTimeout(() => {
      if (this.finished) return;
      if (rule) {
        const chunk = (ch, buf) => { for (let i = 0; i < buf.length; i += 32768) this.io.out(ch, buf.subarray(i, i + 32768)); };
        let out, err;
        try { out = ruleOutput(rule, 'stdout'); err = ruleOutput(rule, 'stderr'); } catch (e) {
          return this.finish(statusObj(500, 'InternalError', `Internal error occurred: medic kube-api test server: exec rule output: ${e.message}`), false);
        }
        if (out.length && (plan.stdout || plan.tty)) chunk(1, out);
        if (err.length && plan.stderr && !plan.tty) chunk(2, err);
        if (err.length && plan.tty) chunk(1, err);
        if (rule.echoStdin && plan.stdout) chunk(1, Buffer.concat(this.stdinChunks));
      }
      this.finish(finalStatus(plan), false);
    }, (rule && rule.delayMs) || 0);
  }
  finish(statusJSON, clientGone) {
    if (this.finished) return;
    this.finished = true;
    const rec = this.rec, plan = this.plan;
    const stdin = Buffer.concat(this.stdinChunks);
    rec.protocol = this.meta.protocol;
    rec.command = plan.command;
    rec.container = plan.container;
    if (stdin.length) {
      const text = stdin.toString('utf8');
      if (!/[\x00-\x08\x0e-\x1f\ufffd]/.test(text)) rec.stdin = text;
      rec.stdinBase64 = stdin.toString('base64');
    }
    rec.exitCode = statusJSON.status === 'Success' ? 0 : (statusJSON.reason === 'NonZeroExitCode' ? parseInt(statusJSON.details.causes[0].message, 10) : null);
    if (clientGone) rec.clientClosedEarly = true;
    recordRequest(rec);
    if (!clientGone) { this.io.status(statusJSON); this.io.end(); }
    if (this.meta.kind === 'attach' && plan.isEphemeral && rec.exitCode != null) setContainerTerminated(this.meta.ns, this.meta.name, plan.container, rec.exitCode);
  }
}

function rawHttpError(socket, code, obj) {
  const body = JSON.stringify(obj);
  socket.end(`HTTP/1.1 ${code} ${http.STATUS_CODES[code]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

function preparePlanOrFail(socket, kind, ns, name, sp, rec) {
  try { return prepareStream(kind, ns, name, sp); } catch (e) {
    recordRequest(rec);
    if (e instanceof ApiError) rawHttpError(socket, e.code, statusObj(e.code, e.reason, e.message, e.details));
    else rawHttpError(socket, 500, statusObj(500, 'InternalError', String(e)));
    return null;
  }
}

// WebSocket transport: v5.channel.k8s.io / v4.channel.k8s.io (kubectl >= 1.30 default).
// Every binary message is [channel byte][payload]; 0 stdin, 1 stdout, 2 stderr, 3 status (JSON), 4 resize;
// v5 adds [255][channel] = "client closed that channel" (stdin EOF).
function handleWebSocketStream(req, socket, head, kind, ns, name, sp, rec) {
  const plan = preparePlanOrFail(socket, kind, ns, name, sp, rec);
  if (!plan) return;
  if (!WebSocket) { recordRequest(rec); return rawHttpError(socket, 500, statusObj(500, 'InternalError', 'ws module not available (run install.sh)')); }
  const offered = String(req.headers['sec-websocket-protocol'] || '').split(',').map(s => s.trim());
  const proto = ['v5.channel.k8s.io', 'v4.channel.k8s.io'].find(p => offered.includes(p));
  if (!proto) { recordRequest(rec); return rawHttpError(socket, 400, statusObj(400, 'BadRequest', `unsupported websocket subprotocols ${JSON.stringify(offered)}; this server speaks v5.channel.k8s.io and v4.channel.k8s.io`)); }
  const wss = new WebSocket.Server({ noServer: true, perMessageDeflate: false, handleProtocols: () => proto });
  wss.handleUpgrade(req, socket, head, (ws) => {
    const open = () => ws.readyState === WebSocket.OPEN;
    const s = new StreamSession(plan, rec, { kind, ns, name, protocol: proto, halfClose: proto === 'v5.channel.k8s.io' }, {
      out: (ch, buf) => { if (open()) ws.send(Buffer.concat([Buffer.from([ch]), buf])); },
      status: (st) => { if (open()) ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(st))])); },
      end: () => { if (open()) ws.close(1000); },
    });
    ws.on('message', (data) => {
      const b = Buffer.isBuffer(data) ? data : Buffer.from(data);
      if (!b.length) return;
      if (b[0] === 0) s.stdinData(b.subarray(1));
      else if (b[0] === 255 && b[1] === 0) s.stdinEnd();
      // channel 4 (resize) and others are ignored
    });
    ws.on('close', () => s.clientGone());
    ws.on('error', () => s.clientGone());
    s.begin();
  });
}

// SPDY/3.1 transport with the v4.channel.k8s.io stream protocol (kubectl <= 1.29, e.g. Debian's
// kubernetes-client 1.20, and newer kubectl with KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false).
// Only what kubectl needs: the client opens one SPDY stream per channel (SYN_STREAM, in the fixed
// order error, stdin, stdout, stderr, resize — so the compressed headers need not be decoded), the
// server answers each with SYN_REPLY, then sends DATA frames and FIN.
function handleSpdyStream(req, socket, head, kind, ns, name, sp, rec) {
  const plan = preparePlanOrFail(socket, kind, ns, name, sp, rec);
  if (!plan) return;
  const offered = String(req.headers['x-stream-protocol-version'] || '').split(',').map(s => s.trim());
  if (!offered.includes('v4.channel.k8s.io')) {
    recordRequest(rec);
    return rawHttpError(socket, 403, statusObj(403, 'Forbidden', `subprotocol negotiation failed: this server only speaks v4.channel.k8s.io over SPDY (offered ${JSON.stringify(offered)})`));
  }
  const proto = 'v4.channel.k8s.io';
  socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ' + proto + '\r\n\r\n');
  const order = ['error'];
  if (plan.stdin) order.push('stdin');
  if (plan.stdout) order.push('stdout');
  if (plan.stderr && !plan.tty) order.push('stderr');
  if (plan.tty) order.push('resize');
  const streams = {};   // type -> stream id
  const byId = {};      // stream id -> type
  let firstHeaderBlock = true;
  const emptyHeaderBlock = () => {
    // zlib stream (no preset dictionary flagged) made of stored blocks: [0x00, LEN=4, NLEN, 0,0,0,0] = zero
    // headers, then an empty stored block (the sync-flush marker; Go's flate hands out data only there).
    const block = Buffer.from([0x00, 0x04, 0x00, 0xfb, 0xff, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0xff, 0xff]);
    if (!firstHeaderBlock) return block;
    firstHeaderBlock = false;
    return Buffer.concat([Buffer.from([0x78, 0x01]), block]);
  };
  const control = (type, flags, payload) => {
    const h = Buffer.alloc(8);
    h.writeUInt16BE(0x8003, 0); h.writeUInt16BE(type, 2); h.writeUInt32BE(payload.length, 4); h[4] = flags;
    return Buffer.concat([h, payload]);
  };
  const data = (id, flags, payload) => {
    const h = Buffer.alloc(8);
    h.writeUInt32BE(id & 0x7fffffff, 0); h.writeUInt32BE(payload.length, 4); h[4] = flags;
    return Buffer.concat([h, payload]);
  };
  const write = (b) => { if (!socket.destroyed) socket.write(b); };
  let session = null;
  const startIfReady = () => {
    if (session || Object.keys(streams).length < order.length) return;
    session = new StreamSession(plan, rec, { kind, ns, name, protocol: 'SPDY/3.1+' + proto, halfClose: true }, {
      out: (ch, buf) => { const id = streams[ch === 1 ? 'stdout' : 'stderr']; if (id) write(data(id, 0, buf)); },
      status: (st) => {
        for (const t of ['stdout', 'stderr']) if (streams[t]) write(data(streams[t], 0x01, Buffer.alloc(0)));
        write(data(streams.error, 0, Buffer.from(JSON.stringify(st))));
        write(data(streams.error, 0x01, Buffer.alloc(0)));
      },
      end: () => { setTimeout(() => socket.end(), 200); },
    });
    if (pendingStdin.length) for (const b of pendingStdin) session.stdinData(b);
    if (stdinEnded) session.stdinEnd();
    session.begin();
  };
  const pendingStdin = [];
  let stdinEnded = false;
  let buf = head && head.length ? Buffer.from(head) : Buffer.alloc(0);
  const onFrame = (isControl, first, flags, payload) => {
    if (process.env.MEDIC_KUBE_API_DEBUG) console.error('spdy frame', isControl ? 'control type=' + (first & 0xffff) : 'data stream=' + (first & 0x7fffffff), 'flags=' + flags, 'len=' + payload.length);
    if (isControl) {
      const type = first & 0xffff;
      if (type === 1) { // SYN_STREAM
        const id = payload.readUInt32BE(0) & 0x7fffffff;
        const t = order[Object.keys(streams).length] || ('extra' + id);
        streams[t] = id; byId[id] = t;
        const p = Buffer.alloc(4); p.writeUInt32BE(id, 0);
        write(control(2, 0, Buffer.concat([p, emptyHeaderBlock()])));
        if (t === 'stdin' && (flags & 0x01)) stdinEnded = true;
        startIfReady();
      } else if (type === 6) { // PING: echo
        write(control(6, 0, payload));
      } else if (type === 7) { // GOAWAY
        if (session) session.clientGone();
      }
      return; // SETTINGS, WINDOW_UPDATE, RST_STREAM, HEADERS: ignored
    }
    const id = first & 0x7fffffff;
    if (byId[id] === 'stdin') {
      if (payload.length) { if (session) session.stdinData(payload); else pendingStdin.push(Buffer.from(payload)); }
      if (flags & 0x01) { if (session) session.stdinEnd(); else stdinEnded = true; }
    }
  };
  const parse = () => {
    while (buf.length >= 8) {
      const first = buf.readUInt32BE(0);
      const flags = buf[4];
      const len = buf.readUInt32BE(4) & 0xffffff;
      if (buf.length < 8 + len) break;
      const payload = buf.subarray(8, 8 + len);
      buf = buf.subarray(8 + len);
      onFrame((first & 0x80000000) !== 0, first, flags, payload);
    }
  };
  socket.on('data', (d) => { buf = Buffer.concat([buf, d]); parse(); });
  socket.on('close', () => { if (session) session.clientGone(); else if (!rec.seq) { rec.protocol = 'SPDY/3.1+' + proto; rec.clientClosedEarly = true; recordRequest(rec); } });
  parse();
}

// ---------------------------------------------------------------- router
function parseApiPath(pathname) {
  let m, group, version, rest;
  if ((m = /^\/api\/(v1)\/(.*)$/.exec(pathname))) { group = ''; version = m[1]; rest = m[2]; }
  else if ((m = /^\/apis\/([^/]+)\/([^/]+)\/(.*)$/.exec(pathname))) { group = m[1]; version = m[2]; rest = m[3]; }
  else return null;
  let segs = rest.split('/').map(decodeURIComponent);
  let watch = false;
  if (segs[0] === 'watch') { watch = true; segs = segs.slice(1); }
  let ns = null;
  if (segs[0] === 'namespaces' && segs.length >= 3) { ns = segs[1]; segs = segs.slice(2); }
  const [resource, name, sub] = segs;
  const r = findResource(group, version, resource);
  return { group, version, r, resource, ns, name: name || null, sub: sub || null, subSegs: segs.slice(3), watch };
}

async function handleApi(req, res, url, body, p) {
  const sp = url.searchParams;
  const r = p.r;
  if (!r) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  const ns = r.namespaced ? p.ns : null;
  const method = req.method;
  let input = null;
  if (body.length) {
    try { input = JSON.parse(body.toString('utf8')); } catch (e) {
      if (method !== 'GET' && !(p.sub === 'proxy')) throw new ApiError(400, 'BadRequest', `error decoding request body: ${e.message}`);
    }
  }
  // collection
  if (!p.name) {
    if (method === 'GET') {
      if (p.watch || qbool(sp.get('watch'))) return startWatch(req, res, r, ns, sp);
      let labels, fields;
      try { labels = parseLabelSelector(sp.get('labelSelector')); fields = parseFieldSelector(sp.get('fieldSelector')); } catch (e) { throw new ApiError(400, 'BadRequest', e.message); }
      const items = listObjects(r, ns, labels, fields).map(o => { const c = clone(o); delete c.apiVersion; delete c.kind; return c; });
      const meta = { resourceVersion: String(rvCounter) };
      if (wantsTable(req)) return sendJSON(res, 200, toTable(r, items, meta));
      return sendJSON(res, 200, { kind: r.kind + 'List', apiVersion: gv(r), metadata: meta, items });
    }
    if (method === 'POST') {
      if (!isObj(input)) throw new ApiError(400, 'BadRequest', 'request body must be a JSON object');
      if (!input.metadata || !(input.metadata.name || input.metadata.generateName)) throw invalid(r, '', [{ field: 'metadata.name', message: 'Required value: name or generateName is required', reason: 'FieldValueRequired' }]);
      if (!input.metadata.name) input.metadata.name = input.metadata.generateName + crypto.randomBytes(3).toString('hex').slice(0, 5);
      if (r.namespaced) {
        input.metadata.namespace = input.metadata.namespace || ns;
        if (ns && input.metadata.namespace !== ns) throw new ApiError(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
        if (!table('namespaces').has(keyOf('', ns))) throw notFound(findResource('', 'v1', 'namespaces'), ns);
      }
      const t = table(r.resource);
      const k = keyOf(r.namespaced ? ns : '', input.metadata.name);
      if (t.has(k)) {
        const gr = r.group ? `${r.resource}.${r.group}` : r.resource;
        throw new ApiError(409, 'AlreadyExists', `${gr} "${input.metadata.name}" already exists`, { name: input.metadata.name, group: r.group || undefined, kind: r.resource });
      }
      delete input.metadata.resourceVersion; delete input.metadata.uid;
      const obj = normalize(r, input);
      if (obj.metadata.creationTimestamp && !input.__keep) obj.metadata.creationTimestamp = nowISO();
      validate(r, obj, null);
      if (qall(sp, 'dryRun').length) return sendJSON(res, 201, obj);
      t.set(k, obj);
      if (r.resource === 'deployments') { seedDeployment(obj); obj.status = { observedGeneration: 1, replicas: obj.spec.replicas, updatedReplicas: obj.spec.replicas, readyReplicas: obj.spec.replicas, availableReplicas: obj.spec.replicas, conditions: completeConditions(obj, '') }; }
      emit(r.resource, 'ADDED', obj, null);
      return sendJSON(res, 201, obj);
    }
    if (method === 'DELETE') {
      const labels = parseLabelSelector(sp.get('labelSelector')); const fields = parseFieldSelector(sp.get('fieldSelector'));
      const items = listObjects(r, ns, labels, fields);
      for (const o of items) deleteObject(r, o, input);
      return sendJSON(res, 200, { kind: r.kind + 'List', apiVersion: gv(r), metadata: { resourceVersion: String(rvCounter) }, items });
    }
    throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
  }

  const obj = getObject(r, ns, (p.sub === 'proxy' ? p.name.replace(/^https?:/, '').split(':')[0] : p.name));
  const dry = qall(sp, 'dryRun').length > 0;

  if (p.sub) {
    if (!(r.sub || {})[p.sub]) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    if (p.sub === 'log' && method === 'GET') return handleLog(res, r, obj, sp);
    if (p.sub === 'proxy') {
      const prefix = url.pathname.indexOf('/proxy');
      const sub = url.pathname.slice(prefix + '/proxy'.length) || '/';
      return handleProxy(req, res, r, obj, p.name.replace(/^https?:/, ''), sub, url.search);
    }
    if (p.sub === 'exec' || p.sub === 'attach' || p.sub === 'portforward') {
      if (p.sub === 'portforward') throw new ApiError(400, 'BadRequest', 'port-forward is not supported by the medic test API server');
      prepareStream(p.sub, ns, p.name, sp); // validation errors first, like the real server
      throw new ApiError(400, 'BadRequest', 'Upgrade request required');
    }
    if (p.sub === 'eviction' && method === 'POST') {
      deleteObject(r, obj, input && input.deleteOptions);
      return sendJSON(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    }
    if (p.sub === 'scale') {
      const toScale = (o) => ({ kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: o.metadata.name, namespace: o.metadata.namespace, uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion, creationTimestamp: o.metadata.creationTimestamp },
        spec: { replicas: o.spec.replicas }, status: { replicas: (o.status || {}).replicas || 0, selector: selectorString(o.spec.selector || {}) } });
      if (method === 'GET') return sendJSON(res, 200, toScale(obj));
      if (method === 'PATCH' || method === 'PUT') {
        const sc = method === 'PUT' ? input : applyPatch(req.headers['content-type'], toScale(obj), input);
        const upd = clone(obj);
        upd.spec.replicas = sc.spec.replicas;
        if (dry) return sendJSON(res, 200, toScale(upd));
        const out = commitUpdate(r, obj, upd, { checkRV: method === 'PUT' && sc.metadata && sc.metadata.resourceVersion });
        return sendJSON(res, 200, toScale(out));
      }
    }
    // kubectl <= 1.21 speaks the pre-1.22 form of this subresource (kind EphemeralContainers, GET + PUT).
    const legacyEC = p.sub === 'ephemeralcontainers' && (cfg.ephemeralContainersApi === 'legacy' ||
      (cfg.ephemeralContainersApi !== 'pod' && /^kubectl\/v1\.(1\d|2[01])\./.test(req.headers['user-agent'] || '')));
    const toLegacyEC = (o) => ({ kind: 'EphemeralContainers', apiVersion: 'v1', metadata: { name: o.metadata.name, namespace: o.metadata.namespace, uid: o.metadata.uid,
      resourceVersion: o.metadata.resourceVersion, creationTimestamp: o.metadata.creationTimestamp }, ephemeralContainers: o.spec.ephemeralContainers || [] });
    if (legacyEC && method === 'GET') return sendJSON(res, 200, toLegacyEC(obj));
    if (legacyEC && method === 'PUT' && isObj(input) && input.kind === 'EphemeralContainers') {
      const upd = clone(obj);
      upd.spec.ephemeralContainers = input.ephemeralContainers || [];
      upd.spec.ephemeralContainers.forEach(defaultContainer);
      if (dry) return sendJSON(res, 200, toLegacyEC(upd));
      return sendJSON(res, 200, toLegacyEC(commitUpdate(r, obj, upd, { subresource: p.sub })));
    }
    if (p.sub === 'status' || p.sub === 'ephemeralcontainers') {
      if (method === 'GET') return sendJSON(res, 200, obj);
      if (method === 'PATCH' || method === 'PUT') {
        let upd = method === 'PUT' ? input : applyPatch(req.headers['content-type'], obj, input);
        if (!isObj(upd)) throw new ApiError(400, 'BadRequest', 'invalid object');
        if (p.sub === 'ephemeralcontainers') {
          if (upd.kind === 'EphemeralContainers') throw new ApiError(400, 'BadRequest', 'no kind "EphemeralContainers" is registered for version "v1" in scheme "k8s.io/kubernetes/pkg/api/legacyscheme/scheme.go:30"');
          const base = clone(obj);
          base.spec.ephemeralContainers = (upd.spec || {}).ephemeralContainers || [];
          base.spec.ephemeralContainers.forEach(defaultContainer);
          const before = (obj.spec.ephemeralContainers || []);
          for (const c of before) {
            const now = base.spec.ephemeralContainers.find(x => x.name === c.name);
            if (!now || canon(now) !== canon(c)) throw invalid(r, obj.metadata.name, [{ field: 'spec.ephemeralContainers', message: 'Forbidden: existing ephemeral containers may not be removed or changed', reason: 'FieldValueForbidden' }]);
          }
          upd = base;
        } else {
          const base = clone(obj);
          base.status = upd.status;
          upd = base;
        }
        if (dry) return sendJSON(res, 200, upd);
        return sendJSON(res, 200, commitUpdate(r, obj, upd, { subresource: p.sub, checkRV: method === 'PUT' }));
      }
    }
    throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  }

  if (method === 'GET') {
    if (p.watch || qbool(sp.get('watch'))) {
      sp.set('fieldSelector', 'metadata.name=' + p.name);
      return startWatch(req, res, r, ns, sp);
    }
    if (wantsTable(req)) return sendJSON(res, 200, toTable(r, [obj], { resourceVersion: obj.metadata.resourceVersion }));
    return sendJSON(res, 200, obj);
  }
  if (method === 'PATCH') {
    if (input === null) throw new ApiError(400, 'BadRequest', 'the body of the request is empty');
    let upd;
    try { upd = applyPatch(req.headers['content-type'], obj, input); } catch (e) {
      if (e instanceof PatchError) throw new ApiError(422, 'Invalid', e.message);
      throw e;
    }
    if (!isObj(upd) || !isObj(upd.metadata)) throw new ApiError(400, 'BadRequest', 'patched object is not a valid object');
    const checkRV = isObj(input) && isObj(input.metadata) && input.metadata.resourceVersion != null;
    if (dry) { validate(r, upd, obj); return sendJSON(res, 200, upd); }
    return sendJSON(res, 200, commitUpdate(r, obj, upd, { checkRV }));
  }
  if (method === 'PUT') {
    if (!isObj(input)) throw new ApiError(400, 'BadRequest', 'request body must be a JSON object');
    if (dry) { validate(r, input, obj); return sendJSON(res, 200, input); }
    return sendJSON(res, 200, commitUpdate(r, obj, input, { checkRV: true }));
  }
  if (method === 'DELETE') {
    if (input && input.preconditions && input.preconditions.uid && input.preconditions.uid !== obj.metadata.uid) {
      throw new ApiError(409, 'Conflict', `Precondition failed: UID in precondition: ${input.preconditions.uid}, UID in object meta: ${obj.metadata.uid}`);
    }
    if (dry) return sendJSON(res, 200, obj);
    const out = deleteObject(r, obj, input);
    return sendJSON(res, 200, out);
  }
  throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

// ---------------------------------------------------------------- authorization
// `kubectl auth can-i VERB RESOURCE`: allowed unless the state's "deny" list names
// "VERB RESOURCE[/SUBRESOURCE]" (or "VERB *" / "* RESOURCE").
// kubectl sends the review as protobuf ("k8s\0" + runtime.Unknown{typeMeta, raw}); the few
// fields needed are read here, and the answer goes back as JSON, which kubectl accepts.
function protoFields(buf) {
  const out = {};
  let i = 0;
  const varint = () => { let v = 0, shift = 0, b; do { b = buf[i++]; v += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80); return v; };
  while (i < buf.length) {
    const key = varint(), field = Math.floor(key / 8), wire = key & 7;
    if (wire === 2) { const n = varint(); (out[field] = out[field] || []).push(buf.subarray(i, i + n)); i += n; }
    else if (wire === 0) varint();
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else break;
  }
  return out;
}
function reviewFromProtobuf(body) {
  const unknown = protoFields(body.subarray(4));
  const review = protoFields(unknown[2][0]);
  const spec = protoFields(review[2][0]);
  const attrs = spec[1] ? protoFields(spec[1][0]) : {};
  const str = f => (attrs[f] ? attrs[f][0].toString('utf8') : undefined);
  return { spec: { resourceAttributes: { namespace: str(1), verb: str(2), group: str(3), version: str(4), resource: str(5), subresource: str(6), name: str(7) } } };
}
function handleAccessReview(res, body) {
  let review;
  try {
    review = body.subarray(0, 4).toString('latin1') === 'k8s\0' ? reviewFromProtobuf(body) : JSON.parse(body.toString('utf8') || '{}');
  } catch (e) { throw new ApiError(400, 'BadRequest', 'cannot read the review: ' + e.message); }
  const a = (review.spec && review.spec.resourceAttributes) || {};
  const what = (a.resource || '') + (a.subresource ? '/' + a.subresource : '');
  const denied = cfg.deny.some(d => d === `${a.verb} ${what}` || d === `${a.verb} *` || d === `* ${what}`);
  review.status = denied
    ? { allowed: false, denied: true, reason: `medic test API server: "${a.verb} ${what}" is in the state's deny list` }
    : { allowed: true, reason: 'medic test API server allows it' };
  review.apiVersion = 'authorization.k8s.io/v1';
  review.kind = 'SelfSubjectAccessReview';
  review.metadata = review.metadata || {};
  return sendJSON(res, 201, review);
}

// ---------------------------------------------------------------- control endpoints
function handleMedic(req, res, url, body) {
  const p = url.pathname;
  if (p === '/_medic/requests' && req.method === 'GET') {
    const since = parseInt(url.searchParams.get('since') || '0', 10);
    return sendJSON(res, 200, records.filter(r => r.seq > since));
  }
  if (p === '/_medic/reset' && req.method === 'POST') {
    records = [];
    if (args.record) fs.writeFileSync(args.record, '');
    if (qbool(url.searchParams.get('state'))) loadState(seed);
    return sendJSON(res, 200, { ok: true });
  }
  if (p === '/_medic/state' && req.method === 'POST') {
    let s;
    try { s = JSON.parse(body.toString('utf8') || '{}'); } catch (e) { return sendJSON(res, 400, { error: 'invalid JSON: ' + e.message }); }
    try { loadState(s); } catch (e) { return sendJSON(res, 400, { error: e.message }); }
    return sendJSON(res, 200, { ok: true });
  }
  if (p === '/_medic/state' && req.method === 'GET') {
    const out = {};
    for (const [res_, t] of store) out[res_] = [...t.values()];
    return sendJSON(res, 200, out);
  }
  return sendJSON(res, 404, { error: 'unknown control endpoint ' + p });
}

// ---------------------------------------------------------------- server
// kubectl sends credentials (bearer tokens) only over TLS, so --tls-cert/--tls-key exist for auth tests.
const tls = args.tlsCert && args.tlsKey;
const server = (tls ? require('https').createServer.bind(null, { cert: fs.readFileSync(args.tlsCert), key: fs.readFileSync(args.tlsKey) }) : http.createServer)(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  let body;
  try { body = await readBody(req); } catch (e) { return; }
  if (url.pathname.startsWith('/_medic/')) return handleMedic(req, res, url, body);
  recordRequest(makeRecord(req, url, body));
  try {
    const f = matchFault(req.method, url.pathname, url.search);
    if (f && f.delayMs) await sleep(f.delayMs);
    if (f && f.status) throw faultError(f);
    const authErr = checkAuth(req);
    if (authErr) throw authErr;
    if (req.method === 'GET' && handleDiscovery(req, res, url.pathname)) return;
    if (req.method === 'POST' && url.pathname === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews')
      return handleAccessReview(res, body);
    if (url.pathname.startsWith('/openapi/')) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const p = parseApiPath(url.pathname);
    if (!p) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    await handleApi(req, res, url, body, p);
  } catch (e) {
    if (!res.headersSent) sendError(res, e);
    else res.end();
  }
});

server.on('upgrade', async (req, socket, head) => {
  const url = new URL(req.url, 'http://x');
  const rec = makeRecord(req, url, null);
  const fail = (e) => {
    const s = statusObj(e.code, e.reason, e.message, e.details);
    const b = JSON.stringify(s);
    socket.end(`HTTP/1.1 ${e.code} ${http.STATUS_CODES[e.code]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(b)}\r\nConnection: close\r\n\r\n${b}`);
  };
  socket.on('error', () => {});
  try {
    const f = matchFault(req.method, url.pathname, url.search);
    if (f && f.delayMs) await sleep(f.delayMs);
    if (f && f.status) { recordRequest(rec); return fail(faultError(f)); }
    const authErr = checkAuth(req);
    if (authErr) { recordRequest(rec); return fail(authErr); }
    const p = parseApiPath(url.pathname);
    const isWs = String(req.headers.upgrade || '').toLowerCase() === 'websocket';
    if (!p || !p.r || p.r.resource !== 'pods' || !p.name || !['exec', 'attach'].includes(p.sub)) {
      recordRequest(rec);
      return fail(new ApiError(404, 'NotFound', 'the server could not find the requested resource'));
    }
    if (isWs) return handleWebSocketStream(req, socket, head, p.sub, p.ns, p.name, url.searchParams, rec);
    if (String(req.headers.upgrade || '').toLowerCase() === 'spdy/3.1') return handleSpdyStream(req, socket, head, p.sub, p.ns, p.name, url.searchParams, rec);
    recordRequest(rec);
    return fail(new ApiError(400, 'BadRequest', `unsupported upgrade ${JSON.stringify(req.headers.upgrade)}`));
  } catch (e) {
    fail(e instanceof ApiError ? e : new ApiError(500, 'InternalError', String(e)));
  }
});

try {
  if (args.state) {
    seed = JSON.parse(fs.readFileSync(args.state, 'utf8'));
  }
  loadState(seed);
} catch (e) {
  console.error('cannot load state: ' + e.message);
  process.exit(2);
}
if (args.record) fs.writeFileSync(args.record, '');
server.listen(args.port, args.host, () => {
  const a = server.address();
  process.stdout.write(`listening on ${tls ? 'https' : 'http'}://${args.host}:${a.port}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => { server.close(); process.exit(0); });
process.on('uncaughtException', (e) => { console.error('kube-api: uncaught exception:', e && e.stack || e); });
