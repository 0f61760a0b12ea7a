// Monaco, bundled with its workers (built by build.mjs into assets/*.worker.js): no CDN, works
// offline.
import * as monaco from 'monaco-editor';

const WORKERS: Record<string, string> = {
  json: 'json.worker.js',
  css: 'css.worker.js', scss: 'css.worker.js', less: 'css.worker.js',
  html: 'html.worker.js', handlebars: 'html.worker.js', razor: 'html.worker.js',
  typescript: 'ts.worker.js', javascript: 'ts.worker.js',
};

function assetUrl(name: string): string {
  // The app script is assets/app.js; the workers sit beside it.
  const script = document.querySelector<HTMLScriptElement>('script[src*="app.js"]');
  const base = script ? new URL('.', script.src) : new URL('assets/', document.baseURI);
  return new URL(name, base).toString();
}

(self as unknown as { MonacoEnvironment: monaco.Environment }).MonacoEnvironment = {
  getWorker(_workerId: string, label: string): Worker {
    return new Worker(assetUrl(WORKERS[label] ?? 'editor.worker.js'), { name: label });
  },
};

monaco.editor.defineTheme('codesphere-dark', {
  base: 'vs-dark',
  inherit: true,
  rules: [],
  colors: {
    'editor.background': '#11141a',
    'editor.lineHighlightBackground': '#1a1f29',
    'editorGutter.background': '#11141a',
  },
});

export function languageFor(path: string): string {
  const name = path.split('/').pop() ?? path;
  const lower = name.toLowerCase();
  if (lower === 'dockerfile') return 'dockerfile';
  if (lower === 'makefile') return 'plaintext';
  const ext = lower.includes('.') ? lower.slice(lower.lastIndexOf('.')) : '';
  for (const lang of monaco.languages.getLanguages()) {
    if (lang.extensions?.includes(ext) || lang.filenames?.map((f) => f.toLowerCase()).includes(lower)) return lang.id;
  }
  return 'plaintext';
}

export { monaco };

// Monaco rejects pending requests with a "Canceled" error when a model is disposed (closing a
// tab, a rename); that is expected, not a failure.
window.addEventListener('unhandledrejection', (event) => {
  const reason = event.reason as { name?: string; message?: string } | undefined;
  if (reason && (reason.name === 'Canceled' || reason.message === 'Canceled')) event.preventDefault();
});
