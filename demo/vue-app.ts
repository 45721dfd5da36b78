// The Vue demo page (demo/vue.html): a small Vue 3 app around one <cloud-chunk-uploader>,
// written with defineComponent + h() render functions (no SFC, no template compiler, no
// Vite plugin). App state feeds the element's properties; the element's events feed the
// app's own file list.
//
// With h() a string tag is created as is, so `compilerOptions.isCustomElement` (a template
// compiler option) is not needed. Vue's runtime sets a prop as a DOM property when the
// element has it (`key in element`, runtime-dom shouldSetAsProp), else as an attribute,
// and turns `onUploadSuccess` into addEventListener('upload-success') (hyphenated, as
// `@upload-success` in a template does).
import { createApp, defineComponent, h, ref, type PropType, type VNode } from 'vue';
import { formatBytes, isProviderName, supportedProviders, type ProviderName, type UploadSnapshot } from '../src/index.js';
import { appUploadState, CHUNK_SIZES, LANGUAGES, toAppUpload, type AppUpload } from './app-upload.js';
import type { DemoConfig } from './demo-config.js';
import { loadDemoConfig } from './load-demo-config.js';

/** The file list, rendered by Vue from the events (file names are text children: Vue sets textContent). */
function uploadList(rows: readonly AppUpload[]): VNode {
  if (rows.length === 0) return h('p', { id: 'app-empty', class: 'muted' }, 'Nothing uploaded yet.');
  return h(
    'ol',
    { id: 'app-uploads' },
    rows.map((row) =>
      h('li', { key: row.id, class: 'app-upload', 'data-status': row.status, 'data-stored': row.stored ?? '' }, [
        h('span', { class: 'app-upload-name' }, row.name),
        ' ',
        h('span', { class: 'muted' }, `(${formatBytes(row.size)})`),
        ' — ',
        h('span', { class: 'app-upload-state' }, appUploadState(row)),
      ]),
    ),
  );
}

const App = defineComponent({
  name: 'UploaderDemo',
  props: { config: { type: Object as PropType<DemoConfig>, required: true } },
  setup(props) {
    const config = props.config;
    const providers = supportedProviders();
    const provider = ref<ProviderName>(config.provider);
    // Each provider keeps its own target (a Feishu folder token is no S3 key prefix).
    const targets = ref<Partial<Record<ProviderName, string>>>({
      feishu: config.target,
      lark: config.target,
      ...config.targets,
      [config.provider]: config.target,
    });
    const chunkSize = ref<number | undefined>(undefined);
    const lang = ref('en');
    const rows = ref<AppUpload[]>([]);
    const lastEvent = ref('none yet');

    // One listener for every per-upload event: upsert the row, note the event.
    const track = (event: CustomEvent<{ upload: UploadSnapshot }>): void => {
      const row = toAppUpload(event.detail.upload);
      const index = rows.value.findIndex((r) => r.id === row.id);
      if (index === -1) rows.value.push(row);
      else rows.value[index] = row;
      if (event.type !== 'upload-progress') lastEvent.value = `${event.type}: ${row.name}`;
    };

    const select = (id: string, value: string, options: readonly { label: string; value: string }[], onChange: (value: string) => void): VNode =>
      h(
        'select',
        { id, value, onChange: (event: Event) => onChange((event.currentTarget as HTMLSelectElement).value) },
        options.map((option) => h('option', { key: option.value, value: option.value }, option.label)),
      );

    return (): VNode =>
      h('main', [
        h('h1', 'cloud-chunk-uploader in a Vue 3 app'),
        h('p', { class: 'muted' }, [
          'Vue sets the element’s properties from app state and listens to its events; the list below is Vue’s own DOM. ',
          h('a', { href: '/' }, 'Plain demo'),
          ' · ',
          h('a', { href: '/demo/react.html' }, 'React demo'),
        ]),
        h('form', { id: 'settings', onSubmit: (event: Event) => event.preventDefault() }, [
          h('fieldset', [
            h('legend', 'App state'),
            h('label', [
              'Provider',
              select(
                'provider',
                provider.value,
                providers.map((name) => ({ label: name, value: name })),
                (next) => {
                  if (isProviderName(next)) provider.value = next;
                },
              ),
            ]),
            h('label', [
              'Target',
              h('input', {
                id: 'target',
                value: targets.value[provider.value] ?? '',
                autocomplete: 'off',
                spellcheck: 'false',
                onInput: (event: Event) => {
                  targets.value[provider.value] = (event.currentTarget as HTMLInputElement).value.trim();
                },
              }),
            ]),
            h('label', [
              'Part size',
              select(
                'chunk-size',
                String(chunkSize.value ?? ''),
                CHUNK_SIZES.map(({ label, bytes }) => ({ label, value: String(bytes ?? '') })),
                (value) => (chunkSize.value = value === '' ? undefined : Number(value)),
              ),
            ]),
            h('label', [
              'Language',
              select(
                'lang',
                lang.value,
                LANGUAGES.map(({ label, lang: value }) => ({ label, value })),
                (value) => (lang.value = value),
              ),
            ]),
          ]),
        ]),
        // Always at the same place in the tree, so Vue patches the same element (and keeps its
        // uploads) across renders, setting only the properties that changed.
        h('cloud-chunk-uploader', {
          endpoint: config.endpoint,
          provider: provider.value,
          target: targets.value[provider.value] ?? '',
          chunkSize: chunkSize.value,
          lang: lang.value,
          multiple: true,
          onUploadAdded: track,
          onUploadProgress: track,
          onUploadPaused: track,
          onUploadResumed: track,
          onUploadSuccess: track,
          onUploadError: track,
          onUploadCancelled: track,
          onQueueComplete: () => (lastEvent.value = 'queue-complete'),
        }),
        h('h2', 'Files (Vue state)'),
        h('p', { id: 'last-event', class: 'muted', role: 'status' }, `Last event: ${lastEvent.value}`),
        uploadList(rows.value),
      ]);
  },
});

async function main(): Promise<void> {
  const config = await loadDemoConfig();
  createApp(App, { config }).mount('#app');
}

main().catch((error: unknown) => {
  document.body.prepend(Object.assign(document.createElement('p'), { role: 'alert', textContent: `Demo failed to start: ${String(error)}` }));
});
