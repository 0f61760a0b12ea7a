// Modal dialogs (instead of window.prompt/confirm, which block the page and can't be styled).
import { h } from './util';

export interface Field {
  name: string;
  label: string;
  value?: string;
  type?: 'text' | 'password' | 'select';
  options?: { value: string; label: string }[];
  placeholder?: string;
}

// Opens a dialog around `body`; resolves when it is closed. `onSubmit` may throw to keep it open
// (the error text is shown in the dialog).
export function openDialog(
  title: string,
  body: HTMLElement,
  opts: { submitLabel?: string; danger?: boolean; onSubmit?: () => Promise<void> | void; cancelLabel?: string } = {},
): Promise<boolean> {
  return new Promise((resolve) => {
    const error = h('div', { class: 'dialog-error', testid: 'dialog-error' });
    const submit = opts.onSubmit
      ? h('button', { type: 'submit', class: opts.danger ? 'btn btn-danger' : 'btn btn-primary', testid: 'dialog-submit' },
          opts.submitLabel ?? 'OK')
      : null;
    const cancel = h('button', { type: 'button', class: 'btn', testid: 'dialog-cancel' }, opts.cancelLabel ?? (submit ? 'Cancel' : 'Close'));
    const form = h('form', { class: 'dialog', testid: 'dialog', role: 'dialog', 'aria-label': title },
      h('h2', {}, title), body, error, h('div', { class: 'dialog-actions' }, cancel, submit));
    const overlay = h('div', { class: 'overlay' }, form);
    const close = (ok: boolean) => {
      overlay.remove();
      document.removeEventListener('keydown', onKey, true);
      resolve(ok);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') { e.stopPropagation(); close(false); }
    };
    document.addEventListener('keydown', onKey, true);
    cancel.addEventListener('click', () => close(false));
    overlay.addEventListener('mousedown', (e) => { if (e.target === overlay) close(false); });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!opts.onSubmit) { close(true); return; }
      error.textContent = '';
      if (submit) submit.disabled = true;
      try {
        await opts.onSubmit();
        close(true);
      } catch (err) {
        error.textContent = err instanceof Error ? err.message : String(err);
      } finally {
        if (submit) submit.disabled = false;
      }
    });
    document.body.append(overlay);
    const first = form.querySelector<HTMLElement>('input, select, textarea');
    (first ?? submit ?? cancel).focus();
    if (first instanceof HTMLInputElement) first.select();
  });
}

// Asks for the given fields; resolves with their values, or null when cancelled.
export async function promptFields(
  title: string, fields: Field[], submitLabel = 'OK',
  validate?: (values: Record<string, string>) => Promise<void> | void,
): Promise<Record<string, string> | null> {
  const inputs = new Map<string, HTMLInputElement | HTMLSelectElement>();
  const body = h('div', { class: 'dialog-fields' });
  for (const f of fields) {
    let input: HTMLInputElement | HTMLSelectElement;
    if (f.type === 'select') {
      input = h('select', { name: f.name, testid: `dialog-${f.name}` },
        ...(f.options ?? []).map((o) => h('option', { value: o.value, selected: o.value === f.value }, o.label)));
    } else {
      input = h('input', { name: f.name, type: f.type ?? 'text', value: f.value ?? '', placeholder: f.placeholder ?? '',
        testid: `dialog-${f.name}`, autocomplete: 'off', spellcheck: 'false' });
    }
    inputs.set(f.name, input);
    body.append(h('label', { class: 'field' }, h('span', {}, f.label), input));
  }
  let values: Record<string, string> = {};
  const ok = await openDialog(title, body, {
    submitLabel,
    onSubmit: async () => {
      values = {};
      for (const [name, input] of inputs) values[name] = input.value.trim();
      if (validate) await validate(values);
    },
  });
  return ok ? values : null;
}

export function confirmDialog(title: string, message: string, submitLabel = 'Delete'): Promise<boolean> {
  return openDialog(title, h('p', {}, message), { submitLabel, danger: true, onSubmit: () => {} });
}
