#!/usr/bin/env node
// A stand-in for codesphere-server, in Node, for developing and testing the web IDE before the
// C++ server exists. It implements docs/platform.md closely enough to drive every part of the
// IDE: accounts and sessions, projects from templates, members and share links, files,
// y-websocket rooms (with y-websocket's own server code), terminals, run/stop, project events
// and the subdomain preview proxy. State survives a restart (it is kept in --data).
//
// It is a development tool, not the platform: processes run on the host without any sandbox
// (each in a PTY made by a small Python helper), and passwords use scrypt.
//
//   node mock-server.mjs --host 127.0.0.1 --port 8090 --data ./mock-data [--web ../../web/dist]
import { spawn } from 'node:child_process';
import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';

const require = createRequire(import.meta.url);
// One copy of yjs: y-websocket's server code is CommonJS, so use the CommonJS build here too.
const Y = require('yjs');
const yws = require('y-websocket/bin/utils');
const encoding = require('lib0/dist/encoding.cjs');
const decoding = require('lib0/dist/decoding.cjs');

const here = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const out = { host: '127.0.0.1', port: 8090, data: './mock-data', web: path.join(here, '../../web/dist') };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in out)) throw new Error(`unknown flag ${argv[i]}`);
    out[key] = argv[++i];
  }
  out.port = Number(out.port);
  return out;
}

const opts = parseArgs(process.argv.slice(2));
const dataDir = path.resolve(opts.data);
const webDir = path.resolve(opts.web);
const workspacesDir = path.join(dataDir, 'workspaces');
const yjsDir = path.join(dataDir, 'yjs');
fs.mkdirSync(workspacesDir, { recursive: true });
fs.mkdirSync(yjsDir, { recursive: true });

// ---------------------------------------------------------------------------------------------
// Persistent state (users, sessions, projects, share links) in data/state.json.

const statePath = path.join(dataDir, 'state.json');
const state = fs.existsSync(statePath)
  ? JSON.parse(fs.readFileSync(statePath, 'utf8'))
  : { users: {}, sessions: {}, projects: {}, shareLinks: {} };
function save() {
  fs.writeFileSync(`${statePath}.tmp`, JSON.stringify(state, null, 1));
  fs.renameSync(`${statePath}.tmp`, statePath);
}

const TEMPLATES = [
  {
    id: 'python', name: 'Python', description: 'Python 3 with a main.py', run: 'python3 main.py', port: 8000,
    files: { 'main.py': 'def greet(name):\n    return f"Hello, {name}!"\n\n\nprint(greet("codesphere"))\n', 'README.md': '# Python project\n\nRun `python3 main.py`.\n' },
  },
  {
    id: 'node', name: 'Node.js', description: 'Node.js with an index.js', run: 'node index.js', port: 8000,
    files: { 'index.js': "console.log('Hello from Node.js ' + process.version);\n", 'package.json': '{\n  "name": "app",\n  "private": true\n}\n' },
  },
  {
    id: 'static', name: 'Static site', description: 'HTML served by python3 -m http.server', run: 'python3 -m http.server 8000', port: 8000,
    files: { 'index.html': '<!doctype html>\n<title>Hello</title>\n<h1>Hello from codesphere</h1>\n' },
  },
];

// ---------------------------------------------------------------------------------------------
// HTTP helpers.

class HttpError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}
const bad = (m) => new HttpError(400, 'InvalidArgument', m);
const notFound = (m) => new HttpError(404, 'NotFound', m);
const denied = (m) => new HttpError(403, 'PermissionDenied', m);

function send(res, status, body, headers = {}) {
  if (body === undefined) { res.writeHead(status, headers); res.end(); return; }
  const data = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'Content-Type': Buffer.isBuffer(body) ? 'application/octet-stream' : 'application/json', 'Content-Length': data.length, ...headers });
  res.end(data);
}

async function readBody(req, limit = 32 << 20) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, 'ResourceExhausted', 'body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function readJson(req) {
  const body = await readBody(req, 1 << 20);
  if (body.length === 0) return {};
  try { return JSON.parse(body.toString('utf8')); } catch { throw bad('body is not JSON'); }
}

function cookies(req) {
  const out = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

function tokenOf(req, url) {
  const auth = req.headers.authorization ?? '';
  if (auth.startsWith('Bearer ')) return auth.slice(7);
  return url.searchParams.get('token') ?? cookies(req).cs_session ?? null;
}

function userOf(req, url) {
  const token = tokenOf(req, url);
  const session = token ? state.sessions[token] : null;
  if (!session || session.expires < Date.now()) throw new HttpError(401, 'Unauthenticated', 'not logged in');
  return state.users[session.username];
}

// ---------------------------------------------------------------------------------------------
// Accounts.

function hashPassword(password, salt) {
  return scryptSync(password, Buffer.from(salt, 'hex'), 32).toString('hex');
}

function publicUser(u) { return { id: u.id, username: u.username, display_name: u.display_name }; }

function startSession(res, user, status) {
  const token = randomBytes(24).toString('base64url');
  state.sessions[token] = { username: user.username, expires: Date.now() + 7 * 86400e3 };
  save();
  send(res, status, { user: publicUser(user), token }, {
    'Set-Cookie': `cs_session=${token}; HttpOnly; SameSite=Lax; Path=/; Max-Age=${7 * 86400}`,
  });
}

// ---------------------------------------------------------------------------------------------
// Projects, roles, files.

function roleOf(project, username) { return project.members[username] ?? null; }

function projectFor(id, user, need = 'viewer') {
  const project = state.projects[id];
  if (!project) throw notFound(`no project ${id}`);
  const role = roleOf(project, user.username);
  if (!role) throw notFound(`no project ${id}`);
  const rank = { viewer: 0, editor: 1, owner: 2 };
  if (rank[role] < rank[need]) throw denied(`needs the ${need} role`);
  return project;
}

function projectJson(project, username, withMembers = false) {
  const out = {
    id: project.id, name: project.name, template: project.template, role: roleOf(project, username),
    owner: project.owner, created_at: project.created_at, run_state: runtime(project.id).runState,
  };
  if (withMembers) out.members = Object.entries(project.members).map(([u, role]) => ({ username: u, role }));
  return out;
}

function newProjectId(name) {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 30) || 'project';
  return `${slug}-${randomBytes(3).toString('hex')}`;
}

function workspace(id) { return path.join(workspacesDir, id); }

// Resolves a workspace path, refusing "..", absolute paths and symlinked parents.
function resolvePath(project, rel) {
  if (!rel || rel.startsWith('/') || rel.split('/').some((p) => p === '..' || p === '.' || p === '')) throw bad(`bad path ${rel}`);
  const root = workspace(project.id);
  const full = path.join(root, rel);
  let dir = path.dirname(full);
  while (dir.startsWith(root) && dir !== root) {
    if (fs.existsSync(dir) && fs.lstatSync(dir).isSymbolicLink()) throw bad(`symlinked parent in ${rel}`);
    dir = path.dirname(dir);
  }
  return full;
}

function listFiles(project) {
  const root = workspace(project.id);
  const out = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const rel = path.relative(root, full);
      if (entry.isSymbolicLink()) out.push({ path: rel, type: 'symlink', size: 0 });
      else if (entry.isDirectory()) { out.push({ path: rel, type: 'dir', size: 0 }); walk(full); }
      else out.push({ path: rel, type: 'file', size: fs.statSync(full).size });
    }
  };
  if (fs.existsSync(root)) walk(root);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------
// Per-project runtime: terminals, run state, event subscribers.

const runtimes = new Map();
function runtime(id) {
  let rt = runtimes.get(id);
  if (!rt) {
    rt = { terminals: new Map(), events: new Set(), runState: 'stopped', nextTerminal: 1 };
    runtimes.set(id, rt);
  }
  return rt;
}

function broadcast(projectId, event) {
  const data = JSON.stringify(event);
  for (const ws of runtime(projectId).events) if (ws.readyState === 1) ws.send(data);
}

function presence(projectId) {
  const seen = new Map();
  for (const ws of runtime(projectId).events) seen.set(ws.user.username, { username: ws.user.username, display_name: ws.user.display_name });
  broadcast(projectId, { type: 'presence', users: [...seen.values()] });
}

const SCROLLBACK = 256 * 1024;

function terminal(project, id, title, command) {
  const rt = runtime(project.id);
  let t = rt.terminals.get(id);
  if (!t) {
    t = { id, title, command, proc: null, session: 0, exit: null, size: { cols: 80, rows: 24 }, scrollback: Buffer.alloc(0), clients: new Set() };
    rt.terminals.set(id, t);
  }
  return t;
}

// A PTY for `command`, made by Python's pty module: stdin/stdout carry the terminal's bytes,
// fd 3 takes control lines "size COLS ROWS" and "signal NAME" (to the foreground process group).
const PTY_HELPER = `
import fcntl, os, pty, select, signal, struct, sys, termios
cols, rows, cmd = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
pid, fd = pty.fork()
if pid == 0:
    os.execvp("/bin/sh", ["/bin/sh", "-c", cmd])
def setsize(c, r):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", r, c, 0, 0))
setsize(cols, rows)
ctl = b""
fds = [0, 3, fd]
while True:
    ready = select.select(fds, [], [])[0]
    if fd in ready:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b""
        if not data:
            break
        os.write(1, data)
    if 0 in ready:
        data = os.read(0, 65536)
        if data:
            os.write(fd, data)
        else:
            fds.remove(0)
    if 3 in ready:
        data = os.read(3, 4096)
        if not data:
            fds.remove(3)
        ctl += data
        while b"\\n" in ctl:
            line, ctl = ctl.split(b"\\n", 1)
            parts = line.decode().split()
            try:
                if parts[0] == "size":
                    setsize(int(parts[1]), int(parts[2]))
                    os.kill(pid, signal.SIGWINCH)
                elif parts[0] == "signal":
                    os.killpg(os.tcgetpgrp(fd), getattr(signal, "SIG" + parts[1]))
            except (OSError, ValueError, IndexError, AttributeError):
                pass
_, status = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
`;

let nextSession = 1;

// Starts `command` in a new session of terminal `t`: viewers of the previous session are
// detached (they attach again and get the new one).
function startProcess(project, t, command) {
  if (t.proc) stopProcess(t);
  for (const ws of t.clients) if (ws.readyState === 1) { ws.send(JSON.stringify({ type: 'detach' })); ws.close(); }
  t.clients.clear();
  t.command = command;
  t.session = nextSession++;
  t.scrollback = Buffer.alloc(0);
  const proc = spawn('python3', ['-c', PTY_HELPER, String(t.size.cols), String(t.size.rows), command], {
    cwd: workspace(project.id), detached: true, stdio: ['pipe', 'pipe', 'inherit', 'pipe'],
    env: { ...process.env, TERM: 'xterm-256color', PS1: '\\w $ ', PYTHONUNBUFFERED: '1' },
  });
  t.proc = proc;
  proc.stdio[3].on('error', () => {});
  proc.stdin.on('error', () => {});
  proc.stdout.on('data', (chunk) => {
    t.scrollback = Buffer.concat([t.scrollback, chunk]);
    if (t.scrollback.length > SCROLLBACK) t.scrollback = t.scrollback.subarray(t.scrollback.length - SCROLLBACK);
    for (const ws of t.clients) if (ws.readyState === 1) ws.send(chunk, { binary: true });
  });
  const session = t.session;
  proc.on('exit', (code, signal) => {
    if (t.session !== session) return; // a newer session replaced this one
    if (t.proc === proc) t.proc = null;
    t.exit = { type: 'exit', code: code ?? 0, signal: signal ? 15 : 0 };
    for (const ws of t.clients) if (ws.readyState === 1) ws.send(JSON.stringify(t.exit));
    if (t.id === 'run') {
      const rt = runtime(project.id);
      if (rt.runState === 'running') {
        rt.runState = 'exited';
        broadcast(project.id, { type: 'run', state: 'exited', code: code ?? 0 });
      }
    }
  });
  t.exit = null;
}

function control(t, line) {
  if (t.proc) t.proc.stdio[3].write(`${line}\n`);
}

function stopProcess(t) {
  const proc = t.proc;
  if (!proc) return;
  t.proc = null;
  // The helper's exit closes the PTY, which hangs up the program's session.
  try { process.kill(-proc.pid, 'SIGTERM'); } catch { /* already gone */ }
  setTimeout(() => { try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ } }, 2000).unref();
}

const SHELL = 'bash --noprofile --norc -i';

// ---------------------------------------------------------------------------------------------
// Yjs rooms: y-websocket's server code, with the documents kept in data/yjs and file rooms
// mirrored into the workspace.

function roomFile(docName) {
  return path.join(yjsDir, `${createHash('sha256').update(docName).digest('hex').slice(0, 32)}.bin`);
}

function parseRoom(docName) {
  // docName: "{project}/{path}"
  const i = docName.indexOf('/');
  return { projectId: docName.slice(0, i), filePath: docName.slice(i + 1) };
}

yws.setPersistence({
  bindState(docName, ydoc) {
    const { projectId, filePath } = parseRoom(docName);
    const project = state.projects[projectId];
    const saved = roomFile(docName);
    if (fs.existsSync(saved)) {
      Y.applyUpdate(ydoc, fs.readFileSync(saved));
    } else if (project && !filePath.startsWith('.codesphere/')) {
      const full = path.join(workspace(projectId), filePath);
      if (fs.existsSync(full) && fs.statSync(full).isFile()) ydoc.getText('monaco').insert(0, fs.readFileSync(full, 'utf8'));
    }
    ydoc.on('update', () => {
      fs.writeFileSync(saved, Y.encodeStateAsUpdate(ydoc));
      if (project && state.projects[projectId] && !filePath.startsWith('.codesphere/')) {
        const full = path.join(workspace(projectId), filePath);
        fs.mkdirSync(path.dirname(full), { recursive: true });
        fs.writeFileSync(full, ydoc.getText('monaco').toString());
      }
    });
  },
  writeState: async () => {},
});

// Replaces the text of an open room after the file changed through the REST API.
function fileChanged(projectId, filePath, text) {
  const docName = `${projectId}/${filePath}`;
  const doc = yws.docs.get(docName);
  if (doc) {
    const ytext = doc.getText('monaco');
    if (ytext.toString() !== text) doc.transact(() => { ytext.delete(0, ytext.length); ytext.insert(0, text); });
  } else {
    fs.rmSync(roomFile(docName), { force: true });
  }
}

function forgetRooms(projectId, prefix) {
  for (const [name, doc] of yws.docs) {
    const { projectId: p, filePath } = parseRoom(name);
    if (p === projectId && (filePath === prefix || filePath.startsWith(`${prefix}/`))) {
      doc.conns.forEach((_, conn) => conn.close());
    }
  }
  for (const f of listFiles({ id: projectId })) {
    if (f.path === prefix || f.path.startsWith(`${prefix}/`)) fs.rmSync(roomFile(`${projectId}/${f.path}`), { force: true });
  }
}

// For viewers: drop sync step 2 and update messages (they would change the document) and say
// so with the protocol's auth message, as codesphere-server does.
function readOnlyFilter(conn) {
  const on = conn.on.bind(conn);
  conn.on = (event, listener) => {
    if (event !== 'message') return on(event, listener);
    return on('message', (message) => {
      const data = new Uint8Array(message);
      const dec = decoding.createDecoder(data);
      const type = decoding.readVarUint(dec);
      if (type === 0) {
        const sub = decoding.readVarUint(dec);
        if (sub === 1 || sub === 2) {
          const enc = encoding.createEncoder();
          encoding.writeVarUint(enc, 2);
          encoding.writeVarUint(enc, 0);
          encoding.writeVarString(enc, 'permission-denied');
          conn.send(encoding.toUint8Array(enc));
          return;
        }
      }
      listener(message);
    });
  };
}

// ---------------------------------------------------------------------------------------------
// REST routes.

async function api(req, res, url) {
  const parts = url.pathname.split('/').slice(2).map(decodeURIComponent); // after /api/
  const m = req.method;

  if (parts[0] === 'auth') {
    if (m === 'POST' && parts[1] === 'signup') {
      const { username, password, display_name } = await readJson(req);
      if (typeof username !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(username)) throw bad('username: 1-64 letters, digits, _ . -');
      if (typeof password !== 'string' || password.length < 8) throw bad('password: at least 8 characters');
      if (state.users[username]) throw new HttpError(409, 'AlreadyExists', 'username taken');
      const salt = randomBytes(16).toString('hex');
      const user = { id: randomBytes(8).toString('hex'), username, display_name: display_name || username, salt, hash: hashPassword(password, salt) };
      state.users[username] = user;
      return startSession(res, user, 201);
    }
    if (m === 'POST' && parts[1] === 'login') {
      const { username, password } = await readJson(req);
      const user = state.users[username];
      const ok = user && typeof password === 'string' &&
        timingSafeEqual(Buffer.from(hashPassword(password, user.salt), 'hex'), Buffer.from(user.hash, 'hex'));
      if (!ok) throw new HttpError(401, 'Unauthenticated', 'wrong username or password');
      return startSession(res, user, 200);
    }
    if (m === 'POST' && parts[1] === 'logout') {
      const token = tokenOf(req, url);
      if (token) { delete state.sessions[token]; save(); }
      return send(res, 204, undefined, { 'Set-Cookie': 'cs_session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0' });
    }
  }

  const user = userOf(req, url);
  if (parts[0] === 'me' && m === 'GET') return send(res, 200, publicUser(user));
  if (parts[0] === 'templates' && m === 'GET') {
    return send(res, 200, TEMPLATES.map(({ id, name, description, run }) => ({ id, name, description, run })));
  }
  if (parts[0] === 'share-links' && parts[2] === 'accept' && m === 'POST') {
    const link = state.shareLinks[parts[1]];
    if (!link || link.expires < Date.now() || !state.projects[link.project]) throw notFound('unknown or expired share link');
    const project = state.projects[link.project];
    const rank = { viewer: 0, editor: 1, owner: 2 };
    const current = project.members[user.username];
    if (!current || rank[current] < rank[link.role]) project.members[user.username] = link.role;
    save();
    return send(res, 200, projectJson(project, user.username));
  }
  if (parts[0] !== 'projects') throw notFound('no such endpoint');

  if (parts.length === 1) {
    if (m === 'GET') {
      return send(res, 200, Object.values(state.projects).filter((p) => roleOf(p, user.username)).map((p) => projectJson(p, user.username)));
    }
    if (m === 'POST') {
      const { name, template } = await readJson(req);
      if (typeof name !== 'string' || !name.trim() || name.length > 64) throw bad('name: 1-64 characters');
      const t = TEMPLATES.find((x) => x.id === template);
      if (!t) throw bad(`unknown template ${template}`);
      const project = { id: newProjectId(name), name: name.trim(), template: t.id, owner: user.username, created_at: new Date().toISOString(), members: { [user.username]: 'owner' } };
      fs.mkdirSync(workspace(project.id), { recursive: true });
      for (const [file, text] of Object.entries(t.files)) fs.writeFileSync(path.join(workspace(project.id), file), text);
      state.projects[project.id] = project;
      save();
      return send(res, 201, projectJson(project, user.username));
    }
  }

  const id = parts[1];
  const rest = parts.slice(2);
  if (rest.length === 0) {
    if (m === 'GET') return send(res, 200, projectJson(projectFor(id, user), user.username, true));
    if (m === 'PATCH') {
      const project = projectFor(id, user, 'owner');
      const { name } = await readJson(req);
      if (typeof name !== 'string' || !name.trim()) throw bad('name required');
      project.name = name.trim();
      save();
      return send(res, 200, projectJson(project, user.username));
    }
    if (m === 'DELETE') {
      const project = projectFor(id, user, 'owner');
      const rt = runtime(id);
      for (const t of rt.terminals.values()) { stopProcess(t); for (const ws of t.clients) ws.close(); }
      for (const ws of rt.events) ws.close();
      runtimes.delete(id);
      for (const f of listFiles(project)) fs.rmSync(roomFile(`${id}/${f.path}`), { force: true });
      fs.rmSync(roomFile(`${id}/.codesphere/project`), { force: true });
      fs.rmSync(workspace(id), { recursive: true, force: true });
      delete state.projects[id];
      save();
      return send(res, 204);
    }
  }
  const what = rest[0];
  if (what === 'fork' && m === 'POST') {
    const source = projectFor(id, user);
    const { name } = await readJson(req);
    const project = { id: newProjectId(name || `${source.name}-fork`), name: (name || `${source.name}-fork`).trim(), template: source.template, owner: user.username, created_at: new Date().toISOString(), members: { [user.username]: 'owner' } };
    fs.cpSync(workspace(id), workspace(project.id), { recursive: true });
    state.projects[project.id] = project;
    save();
    return send(res, 201, projectJson(project, user.username));
  }
  if (what === 'members' && m === 'POST') {
    const project = projectFor(id, user, 'owner');
    const { username, role } = await readJson(req);
    if (!state.users[username]) throw notFound(`no user ${username}`);
    if (!['owner', 'editor', 'viewer'].includes(role)) throw bad('role: owner, editor or viewer');
    project.members[username] = role;
    save();
    return send(res, 200, Object.entries(project.members).map(([u, r]) => ({ username: u, role: r })));
  }
  if (what === 'share-links' && m === 'POST') {
    projectFor(id, user, 'owner');
    const { role, expires_in_s } = await readJson(req);
    if (!['editor', 'viewer'].includes(role)) throw bad('role: editor or viewer');
    const token = randomBytes(18).toString('base64url');
    state.shareLinks[token] = { project: id, role, expires: Date.now() + Number(expires_in_s || 86400) * 1000 };
    save();
    return send(res, 201, { token, url: `http://${req.headers.host}/#/share/${token}` });
  }
  if (what === 'files') {
    const project = projectFor(id, user, m === 'GET' ? 'viewer' : 'editor');
    if (rest.length === 1 && m === 'GET') return send(res, 200, listFiles(project));
    const rel = rest.slice(1).join('/');
    const full = resolvePath(project, rel);
    if (m === 'GET') {
      if (!fs.existsSync(full) || !fs.statSync(full).isFile()) throw notFound(`no file ${rel}`);
      return send(res, 200, fs.readFileSync(full));
    }
    if (m === 'PUT') {
      const body = await readBody(req);
      fs.mkdirSync(path.dirname(full), { recursive: true });
      fs.writeFileSync(full, body);
      fileChanged(id, rel, body.toString('utf8'));
      broadcast(id, { type: 'files' });
      return send(res, 200, {});
    }
    if (m === 'DELETE') {
      if (!fs.existsSync(full)) throw notFound(`no file ${rel}`);
      forgetRooms(id, rel);
      fs.rmSync(full, { recursive: true, force: true });
      broadcast(id, { type: 'files' });
      return send(res, 204);
    }
  }
  if (what === 'dirs' && m === 'POST') {
    const project = projectFor(id, user, 'editor');
    fs.mkdirSync(resolvePath(project, rest.slice(1).join('/')), { recursive: true });
    broadcast(id, { type: 'files' });
    return send(res, 201, {});
  }
  if (what === 'rename' && m === 'POST') {
    const project = projectFor(id, user, 'editor');
    const { from, to } = await readJson(req);
    const a = resolvePath(project, from);
    const b = resolvePath(project, to);
    if (!fs.existsSync(a)) throw notFound(`no file ${from}`);
    if (fs.existsSync(b)) throw new HttpError(409, 'AlreadyExists', `${to} exists`);
    forgetRooms(id, from);
    fs.mkdirSync(path.dirname(b), { recursive: true });
    fs.renameSync(a, b);
    broadcast(id, { type: 'files' });
    return send(res, 200, {});
  }
  if (what === 'terminals') {
    const project = projectFor(id, user, m === 'GET' ? 'viewer' : 'editor');
    const rt = runtime(id);
    if (m === 'GET') {
      return send(res, 200, [...rt.terminals.values()].map((t) => ({ id: t.id, title: t.title, command: t.command, running: !!t.proc })));
    }
    if (m === 'POST') {
      const { title } = await readJson(req);
      const tid = `t${rt.nextTerminal++}`;
      const t = terminal(project, tid, title || `shell ${rt.nextTerminal - 1}`, SHELL);
      startProcess(project, t, SHELL);
      return send(res, 201, { id: tid });
    }
  }
  if (what === 'run' && m === 'POST') {
    const project = projectFor(id, user, 'editor');
    const t = terminal(project, 'run', 'run', '');
    startProcess(project, t, TEMPLATES.find((x) => x.id === project.template).run);
    runtime(id).runState = 'running';
    broadcast(id, { type: 'run', state: 'running' });
    return send(res, 200, { terminal: 'run' });
  }
  if (what === 'stop' && m === 'POST') {
    projectFor(id, user, 'editor');
    const rt = runtime(id);
    const t = rt.terminals.get('run');
    rt.runState = 'stopped';
    if (t) stopProcess(t);
    broadcast(id, { type: 'run', state: 'stopped' });
    return send(res, 200, {});
  }
  throw notFound('no such endpoint');
}

// ---------------------------------------------------------------------------------------------
// Static files of the web IDE, and the preview proxy.

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf', '.map': 'application/json', '.svg': 'image/svg+xml', '.txt': 'text/plain' };

function serveStatic(req, res, url) {
  let rel = decodeURIComponent(url.pathname);
  if (rel === '/' || rel === '') rel = '/index.html';
  const full = path.join(webDir, path.normalize(rel));
  if (!full.startsWith(webDir) || !fs.existsSync(full) || !fs.statSync(full).isFile()) {
    return send(res, 404, { error: `no file ${rel}`, code: 'NotFound' });
  }
  const data = fs.readFileSync(full);
  res.writeHead(200, { 'Content-Type': TYPES[path.extname(full)] ?? 'application/octet-stream', 'Content-Length': data.length, 'Cache-Control': rel === '/index.html' ? 'no-cache' : 'public, max-age=3600' });
  res.end(data);
}

function previewProject(req, url) {
  const host = (req.headers.host ?? '').split(':')[0];
  const sub = host.endsWith('.localhost') ? host.slice(0, -'.localhost'.length) : null;
  if (sub && state.projects[sub]) return { project: state.projects[sub], path: url.pathname + url.search };
  const m = url.pathname.match(/^\/preview\/([^/]+)(\/.*)?$/);
  if (m && state.projects[m[1]]) return { project: state.projects[m[1]], path: (m[2] ?? '/') + url.search };
  return null;
}

function proxyPreview(req, res, target) {
  const port = TEMPLATES.find((t) => t.id === target.project.template)?.port ?? 8000;
  const upstream = http.request({ host: '127.0.0.1', port, method: req.method, path: target.path, headers: { ...req.headers, host: `127.0.0.1:${port}` } }, (up) => {
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
  });
  upstream.on('error', () => {
    if (res.headersSent) { res.destroy(); return; }
    res.writeHead(502, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><body style="font:14px system-ui;background:#11141a;color:#8a93a6;padding:24px">Nothing is listening on port ${port} in ${target.project.name} yet. Run the project, then reload.</body>`);
  });
  req.pipe(upstream);
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, `http://${req.headers.host ?? 'localhost'}`);
  try {
    const preview = previewProject(req, url);
    if (preview) return proxyPreview(req, res, preview);
    if (url.pathname === '/healthz') { res.writeHead(200, { 'Content-Type': 'text/plain' }); return res.end('ok'); }
    if (url.pathname.startsWith('/api/')) return await api(req, res, url);
    if (req.method === 'GET' || req.method === 'HEAD') return serveStatic(req, res, url);
    throw notFound('no such endpoint');
  } catch (err) {
    if (err instanceof HttpError) return send(res, err.status, { error: err.message, code: err.code });
    console.error(err);
    return send(res, 500, { error: String(err?.message ?? err), code: 'Internal' });
  }
});

// ---------------------------------------------------------------------------------------------
// WebSockets: /yjs/{project}/{path}, /pty/{project}/{terminal}, /events/{project}.

const wss = new WebSocketServer({ noServer: true, maxPayload: 16 << 20 });

server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url, `http://${req.headers.host ?? 'localhost'}`);
  const parts = url.pathname.split('/').slice(1).map(decodeURIComponent);
  let user, project;
  try {
    user = userOf(req, url);
    project = projectFor(parts[1], user);
  } catch (err) {
    const status = err instanceof HttpError ? err.status : 400;
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    return;
  }
  const role = roleOf(project, user.username);
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.user = user;
    if (parts[0] === 'yjs' && parts.length >= 3) {
      if (role === 'viewer') readOnlyFilter(ws);
      yws.setupWSConnection(ws, req, { docName: `${project.id}/${parts.slice(2).join('/')}` });
    } else if (parts[0] === 'pty' && parts.length === 3) {
      // The browser form of docs/protocols.md (include/codesphere/pty/frame.h).
      const rt = runtime(project.id);
      let t = rt.terminals.get(parts[2]);
      const writer = role !== 'viewer' && url.searchParams.get('role') !== 'read-only';
      if (!t) {
        if (parts[2] !== 'run' && !writer) { ws.send(JSON.stringify({ type: 'error', code: 'NotFound', message: 'no such terminal' })); ws.close(); return; }
        t = terminal(project, parts[2], parts[2], parts[2] === 'run' ? '' : SHELL);
        if (parts[2] !== 'run') startProcess(project, t, SHELL);
      }
      // As docs/protocols.md says: if the program has exited, the next connection starts a new one.
      if (parts[2] !== 'run' && !t.proc && writer) startProcess(project, t, t.command || SHELL);
      const cols = Number(url.searchParams.get('cols'));
      const rows = Number(url.searchParams.get('rows'));
      if (writer && cols > 0 && rows > 0 && cols < 1000 && rows < 1000 && t.clients.size === 0) {
        t.size = { cols, rows };
        control(t, `size ${cols} ${rows}`);
      }
      t.clients.add(ws);
      ws.send(JSON.stringify({ type: 'attach', session: t.session, role: writer ? 'writer' : 'read-only', cols: t.size.cols, rows: t.size.rows, title: t.title }));
      if (t.scrollback.length) ws.send(t.scrollback, { binary: true });
      if (t.exit) ws.send(JSON.stringify(t.exit));
      ws.on('message', (data) => {
        const buf = Buffer.from(data);
        const type = String.fromCharCode(buf[0] ?? 0);
        const error = (message) => ws.send(JSON.stringify({ type: 'error', code: 'InvalidArgument', message }));
        if (!writer) return error('read-only viewer');
        if (type === '0') {
          if (t.proc) t.proc.stdin.write(buf.subarray(1));
        } else if (type === '1') {
          let size;
          try { size = JSON.parse(buf.subarray(1).toString()); } catch { return error('bad resize'); }
          if (!(size.cols >= 1 && size.cols <= 65535 && size.rows >= 1 && size.rows <= 65535)) return error('bad size');
          if (size.cols === t.size.cols && size.rows === t.size.rows) return;
          t.size = { cols: size.cols, rows: size.rows };
          control(t, `size ${size.cols} ${size.rows}`);
          for (const c of t.clients) if (c.readyState === 1) c.send(JSON.stringify({ type: 'resize', ...t.size }));
        } else if (type === '2') {
          const name = buf.subarray(1).toString().toUpperCase().replace(/^SIG/, '');
          if (!['INT', 'QUIT', 'TSTP', 'CONT', 'HUP', 'TERM', 'KILL', 'USR1', 'USR2', 'WINCH'].includes(name)) return error('bad signal');
          control(t, `signal ${name}`);
        } else {
          error('unknown message type');
        }
      });
      ws.on('close', () => t.clients.delete(ws));
    } else if (parts[0] === 'events' && parts.length === 2) {
      const rt = runtime(project.id);
      rt.events.add(ws);
      ws.send(JSON.stringify({ type: 'run', state: rt.runState }));
      presence(project.id);
      ws.on('close', () => { rt.events.delete(ws); presence(project.id); });
    } else {
      ws.close(1008, 'unknown endpoint');
    }
  });
});

server.listen(opts.port, opts.host, () => {
  const { port } = server.address();
  console.log(`mock codesphere-server listening on http://${opts.host}:${port} (data ${dataDir}, web ${webDir})`);
});

function shutdown() {
  for (const rt of runtimes.values()) for (const t of rt.terminals.values()) stopProcess(t);
  for (const [name, doc] of yws.docs) fs.writeFileSync(roomFile(name), Y.encodeStateAsUpdate(doc));
  save();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
