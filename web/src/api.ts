// REST client for the endpoints of docs/platform.md. The browser authenticates with the
// HttpOnly `cs_session` cookie, which same-origin fetches send by themselves.
import { encodePath } from './util';

export interface User { id: string; username: string; display_name: string }
export interface Template { id: string; name: string; description: string; run: string }
export type Role = 'owner' | 'editor' | 'viewer';
export interface Member { username: string; role: Role }
export interface Project {
  id: string;
  name: string;
  template: string;
  role: Role;
  owner: string;
  created_at: string | number;
  run_state: string;
  public_preview?: boolean;
  members?: Member[];
}
export interface FileEntry { path: string; type: 'file' | 'dir' | 'symlink'; size: number }
export interface TerminalInfo { id: string; title: string; command: string; running: boolean }
export interface ShareLink { token: string; url: string }

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

// Called on a 401 from any endpoint except login/signup (the session expired or was revoked).
let onUnauthenticated: () => void = () => {};
export function setUnauthenticatedHandler(fn: () => void): void { onUnauthenticated = fn; }

async function request(method: string, path: string, body?: unknown): Promise<Response> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: {} };
  if (body instanceof Blob || body instanceof ArrayBuffer || body instanceof Uint8Array || typeof body === 'string') {
    init.body = body as BodyInit;
    (init.headers as Record<string, string>)['Content-Type'] = 'application/octet-stream';
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['Content-Type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, 'Unavailable', `cannot reach the server (${String(err)})`);
  }
  if (!res.ok) {
    let code = 'Unknown';
    let message = `${res.status} ${res.statusText}`;
    try {
      const data = await res.json();
      if (data && typeof data.error === 'string') message = data.error;
      if (data && typeof data.code === 'string') code = data.code;
    } catch { /* body is not JSON */ }
    if (res.status === 429) {
      const after = res.headers.get('Retry-After');
      message = `too many requests${after ? `, retry in ${after} s` : ''}: ${message}`;
    }
    if (res.status === 401 && !path.startsWith('/api/auth/')) onUnauthenticated();
    throw new ApiError(res.status, code, message);
  }
  return res;
}

async function json<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await request(method, path, body);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

const p = (id: string) => `/api/projects/${encodeURIComponent(id)}`;

export const api = {
  signup: (username: string, password: string, display_name?: string) =>
    json<{ user: User; token: string }>('POST', '/api/auth/signup', { username, password, ...(display_name ? { display_name } : {}) }),
  login: (username: string, password: string) =>
    json<{ user: User; token: string }>('POST', '/api/auth/login', { username, password }),
  logout: () => json<void>('POST', '/api/auth/logout'),
  me: () => json<User>('GET', '/api/me'),
  templates: () => json<Template[]>('GET', '/api/templates'),

  projects: () => json<Project[]>('GET', '/api/projects'),
  project: (id: string) => json<Project>('GET', p(id)),
  createProject: (name: string, template: string) => json<Project>('POST', '/api/projects', { name, template }),
  renameProject: (id: string, name: string) => json<Project>('PATCH', p(id), { name }),
  deleteProject: (id: string) => json<void>('DELETE', p(id)),
  forkProject: (id: string, name: string) => json<Project>('POST', `${p(id)}/fork`, { name }),
  setMember: (id: string, username: string, role: Role) =>
    json<Member[] | { members: Member[] }>('POST', `${p(id)}/members`, { username, role }),
  createShareLink: (id: string, role: Role, expires_in_s: number) =>
    json<ShareLink>('POST', `${p(id)}/share-links`, { role, expires_in_s }),
  acceptShareLink: (token: string) => json<Project>('POST', `/api/share-links/${encodeURIComponent(token)}/accept`),

  files: (id: string) => json<FileEntry[]>('GET', `${p(id)}/files`),
  readFile: async (id: string, path: string) => (await request('GET', `${p(id)}/files/${encodePath(path)}`)).arrayBuffer(),
  writeFile: (id: string, path: string, data: Blob | ArrayBuffer | string) =>
    request('PUT', `${p(id)}/files/${encodePath(path)}`, data).then(() => undefined),
  mkdir: (id: string, path: string) => request('POST', `${p(id)}/dirs/${encodePath(path)}`).then(() => undefined),
  deleteFile: (id: string, path: string) => request('DELETE', `${p(id)}/files/${encodePath(path)}`).then(() => undefined),
  renameFile: (id: string, from: string, to: string) => json<unknown>('POST', `${p(id)}/rename`, { from, to }),

  terminals: (id: string) => json<TerminalInfo[]>('GET', `${p(id)}/terminals`),
  createTerminal: (id: string, title?: string) => json<{ id: string }>('POST', `${p(id)}/terminals`, title ? { title } : {}),
  run: (id: string) => json<{ terminal: string }>('POST', `${p(id)}/run`),
  stop: (id: string) => json<unknown>('POST', `${p(id)}/stop`),
  // A short-lived token that opens the project's live preview (members only).
  previewToken: (id: string) => json<{ token: string; url: string; expires_in_s: number }>('POST', `${p(id)}/preview`),
  setPublicPreview: (id: string, on: boolean) => json<Project>('PATCH', p(id), { public_preview: on }),
};

export function membersOf(answer: Member[] | { members: Member[] } | undefined): Member[] {
  if (!answer) return [];
  return Array.isArray(answer) ? answer : answer.members ?? [];
}
