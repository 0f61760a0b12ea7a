// The terminal WebSocket protocol (docs/protocols.md): one socket per terminal at
// /pty/{project}/{terminal}.
//   server → client: binary frame = output bytes; text frame = JSON
//                    {"type":"exit","code":N} | {"type":"error","message":"..."}
//   client → server: binary frame = input bytes; text frame = JSON
//                    {"type":"resize","cols":N,"rows":N} | {"type":"signal","signal":"INT"}

export type ServerControl =
  | { type: 'exit'; code: number }
  | { type: 'error'; message: string }
  | { type: string; [key: string]: unknown };

export function resizeMessage(cols: number, rows: number): string {
  return JSON.stringify({ type: 'resize', cols, rows });
}

export function signalMessage(signal: 'INT' | 'TERM' | 'KILL' | 'HUP'): string {
  return JSON.stringify({ type: 'signal', signal });
}

export function parseControl(text: string): ServerControl | null {
  try {
    const value = JSON.parse(text);
    return value && typeof value.type === 'string' ? (value as ServerControl) : null;
  } catch {
    return null;
  }
}
