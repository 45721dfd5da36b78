// The React demo page (demo/react.html): a small React 19 app around one
// <cloud-chunk-uploader>, written with createElement (no JSX, no Vite plugin). App state
// feeds the element's properties; the element's events feed the app's own file list.
//
// React 19 needs no wrapper or ref for a custom element: a prop the element has as a
// property (`key in element`) is set as that property, anything else as an attribute, and
// a function prop named `on` + the exact event type is added with addEventListener, so
// `'onupload-success'` listens to `upload-success` (react-dom 19.3 setPropOnCustomElement:
// it slices "on" off and keeps the rest as is, hyphens and case included; `onUploadSuccess`
// would listen to "UploadSuccess" and never fire).
import { createElement as h, StrictMode, useCallback, useState, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { formatBytes, isProviderName, supportedProviders, type ProviderName, type UploadSnapshot } from '../src/index.js';
import { appUploadState, CHUNK_SIZES, LANGUAGES, toAppUpload, type AppUpload } from './app-upload.js';
import type { DemoConfig } from './demo-config.js';
import { loadDemoConfig } from './load-demo-config.js';

/** Per-upload events the app listens to (each carries `detail.upload`). */
const TRACKED_EVENTS = ['upload-added', 'upload-progress', 'upload-paused', 'upload-resumed', 'upload-success', 'upload-error', 'upload-cancelled'] as const;

/** The file list, rendered by React from the events (file names are text children: React escapes them). */
function UploadList({ rows }: { rows: readonly AppUpload[] }): ReactNode {
  if (rows.length === 0) return h('p', { id: 'app-empty', className: 'muted' }, 'Nothing uploaded yet.');
  return h(
    'ol',
    { id: 'app-uploads' },
    rows.map((row) =>
      h(
        'li',
        { key: row.id, className: 'app-upload', 'data-status': row.status, 'data-stored': row.stored ?? '' },
        h('span', { className: 'app-upload-name' }, row.name),
        ' ',
        h('span', { className: 'muted' }, `(${formatBytes(row.size)})`),
        ' — ',
        h('span', { className: 'app-upload-state' }, appUploadState(row)),
      ),
    ),
  );
}

/** The whole page. */
function App({ config }: { config: DemoConfig }): ReactNode {
  const providers = supportedProviders();
  const [provider, setProvider] = useState<ProviderName>(config.provider);
  // Each provider keeps its own target (a Feishu folder token is no S3 key prefix).
  const [targets, setTargets] = useState<Partial<Record<ProviderName, string>>>(() => ({
    feishu: config.target,
    lark: config.target,
    ...config.targets,
    [config.provider]: config.target,
  }));
  const [chunkSize, setChunkSize] = useState<number | undefined>(undefined);
  const [lang, setLang] = useState('en');
  const [rows, setRows] = useState<readonly AppUpload[]>([]);
  const [lastEvent, setLastEvent] = useState('none yet');
  const target = targets[provider] ?? '';

  // One stable listener for every per-upload event: upsert the row, note the event.
  const track = useCallback((event: CustomEvent<{ upload: UploadSnapshot }>) => {
    const row = toAppUpload(event.detail.upload);
    setRows((previous) => (previous.some((r) => r.id === row.id) ? previous.map((r) => (r.id === row.id ? row : r)) : [...previous, row]));
    if (event.type !== 'upload-progress') setLastEvent(`${event.type}: ${row.name}`);
  }, []);
  const onQueueComplete = useCallback(() => setLastEvent('queue-complete'), []);

  const listeners = Object.fromEntries(TRACKED_EVENTS.map((type) => [`on${type}`, track]));

  return h(
    'main',
    null,
    h('h1', null, 'cloud-chunk-uploader in a React 19 app'),
    h(
      'p',
      { className: 'muted' },
      'React sets the element’s properties from app state and listens to its events; the list below is React’s own DOM. ',
      h('a', { href: '/' }, 'Plain demo'),
      ' · ',
      h('a', { href: '/demo/vue.html' }, 'Vue demo'),
    ),
    h(
      'form',
      { id: 'settings', onSubmit: (event: Event) => event.preventDefault() },
      h(
        'fieldset',
        null,
        h('legend', null, 'App state'),
        h(
          'label',
          null,
          'Provider',
          h(
            'select',
            {
              id: 'provider',
              value: provider,
              onChange: (event: { currentTarget: HTMLSelectElement }) => {
                const next = event.currentTarget.value;
                if (isProviderName(next)) setProvider(next);
              },
            },
            providers.map((name) => h('option', { key: name, value: name }, name)),
          ),
        ),
        h(
          'label',
          null,
          'Target',
          h('input', {
            id: 'target',
            value: target,
            autoComplete: 'off',
            spellCheck: false,
            onChange: (event: { currentTarget: HTMLInputElement }) => {
              const next = event.currentTarget.value.trim();
              setTargets((previous) => ({ ...previous, [provider]: next }));
            },
          }),
        ),
        h(
          'label',
          null,
          'Part size',
          h(
            'select',
            {
              id: 'chunk-size',
              value: String(chunkSize ?? ''),
              onChange: (event: { currentTarget: HTMLSelectElement }) => {
                const value = event.currentTarget.value;
                setChunkSize(value === '' ? undefined : Number(value));
              },
            },
            CHUNK_SIZES.map(({ label, bytes }) => h('option', { key: label, value: String(bytes ?? '') }, label)),
          ),
        ),
        h(
          'label',
          null,
          'Language',
          h(
            'select',
            { id: 'lang', value: lang, onChange: (event: { currentTarget: HTMLSelectElement }) => setLang(event.currentTarget.value) },
            LANGUAGES.map(({ label, lang: value }) => h('option', { key: value, value }, label)),
          ),
        ),
      ),
    ),
    // Always at the same place in the tree, so React keeps the same element (and its uploads)
    // across renders and only updates the properties that changed.
    h('cloud-chunk-uploader', {
      endpoint: config.endpoint,
      provider,
      target,
      chunkSize,
      lang,
      multiple: true,
      ...listeners,
      'onqueue-complete': onQueueComplete,
    }),
    h('h2', null, 'Files (React state)'),
    h('p', { id: 'last-event', className: 'muted', role: 'status' }, `Last event: ${lastEvent}`),
    h(UploadList, { rows }),
  );
}

async function main(): Promise<void> {
  const config = await loadDemoConfig();
  const container = document.getElementById('app');
  if (container === null) throw new Error('demo/react.html has no #app');
  createRoot(container).render(h(StrictMode, null, h(App, { config })));
}

main().catch((error: unknown) => {
  document.body.prepend(Object.assign(document.createElement('p'), { role: 'alert', textContent: `Demo failed to start: ${String(error)}` }));
});
