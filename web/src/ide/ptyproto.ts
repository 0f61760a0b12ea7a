// The terminal WebSocket protocol, browser form (docs/protocols.md, "Terminals";
// include/codesphere/pty/frame.h): one socket per terminal at /pty/{project}/{terminal}.
//   client → server (the first byte is the type):
//     '0' + bytes                 input (sent as a binary message)
//     '1' + {"cols":N,"rows":N}   resize request (text)
//     '2' + "INT"                 signal for the foreground process group (text)
//   server → client: binary messages are output bytes; text messages are JSON events:
//     {"type":"attach","session":1,"role":"writer"|"read-only","cols":N,"rows":N,"title":"…"}
//     {"type":"resize","cols":N,"rows":N}   the terminal's size (follow it)
//     {"type":"exit","code":N,"signal":N}   {"type":"error","code":"…","message":"…"}
//     {"type":"detach"}                     the session was closed

export type ServerEvent =
  | { type: 'attach'; session?: number; role?: string; cols?: number; rows?: number; title?: string }
  | { type: 'resize'; cols: number; rows: number }
  | { type: 'exit'; code?: number; signal?: number }
  | { type: 'error'; code?: string; message?: string }
  | { type: 'detach' };

const INPUT = 0x30; // '0'

export function inputMessage(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + 1);
  out[0] = INPUT;
  out.set(data, 1);
  return out;
}

export function resizeMessage(cols: number, rows: number): string {
  return `1${JSON.stringify({ cols, rows })}`;
}

export function signalMessage(signal: 'INT' | 'TERM' | 'KILL' | 'HUP' | 'QUIT'): string {
  return `2${signal}`;
}

export function parseEvent(text: string): ServerEvent | null {
  try {
    const value = JSON.parse(text);
    return value && typeof value.type === 'string' ? (value as ServerEvent) : null;
  } catch {
    return null;
  }
}
