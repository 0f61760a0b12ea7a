// A Yjs peer driven over stdin/stdout, one JSON command per line, for the FileBinding tests:
//   {"op":"apply","update":"<base64>"}          apply a v1 update from the C++ doc
//   {"op":"insert","index":N,"text":"..."}      type into Y.Text "content" (UTF-16 index)
//   {"op":"delete","index":N,"len":N}
//   {"op":"state"}                              -> {"text":"...","sv":"<base64 state vector>"}
//   {"op":"diff","sv":"<base64>"}               -> {"update":"<base64>"} (what the other side lacks)
// Every command answers one JSON line ({"ok":true} unless it returns data).
import * as Y from 'yjs';
import readline from 'node:readline';

const doc = new Y.Doc();
doc.clientID = 4242;
const text = doc.getText('content');
const b64 = (u8) => Buffer.from(u8).toString('base64');
const u8 = (s) => new Uint8Array(Buffer.from(s, 'base64'));

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const cmd = JSON.parse(line);
  let out = { ok: true };
  if (cmd.op === 'apply') Y.applyUpdate(doc, u8(cmd.update), 'cpp');
  else if (cmd.op === 'insert') text.insert(cmd.index, cmd.text);
  else if (cmd.op === 'delete') text.delete(cmd.index, cmd.len);
  else if (cmd.op === 'state') out = { text: text.toString(), sv: b64(Y.encodeStateVector(doc)) };
  else if (cmd.op === 'diff') out = { update: b64(Y.encodeStateAsUpdate(doc, u8(cmd.sv))) };
  else out = { error: `unknown op ${cmd.op}` };
  process.stdout.write(JSON.stringify(out) + '\n');
});
