// The demo page's script: wires the settings, the results table and the emulator's
// fault-injection admin route around one <cloud-chunk-uploader>.
import { supportedProviders } from '../src/index.js';
import type { UploadResult } from '../src/core/protocol.js';
import { isProviderName } from '../src/core/provider-name.js';
import type { CloudChunkUploader } from '../src/element/cloud-chunk-uploader.js';
import { formatBytes } from '../src/element/format-bytes.js';
import type { DemoConfig } from './demo-config.js';
import { loadDemoConfig } from './load-demo-config.js';


function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`demo page has no #${id}`);
  return element as T;
}

/** Where the stored bytes can be fetched: the backend's link if it gave one, else the emulator's. */
function downloadUrl(result: UploadResult, config: DemoConfig): string | undefined {
  if (result.downloadUrl !== undefined) return result.downloadUrl;
  if (result.fileToken !== undefined && config.emulatorDownloadTemplate !== '') {
    return config.emulatorDownloadTemplate.replace('{fileToken}', encodeURIComponent(result.fileToken));
  }
  return undefined;
}

/** One results row, built with text nodes only (file names are untrusted). */
function addResultRow(result: UploadResult, config: DemoConfig): void {
  const row = document.createElement('tr');
  const cell = (text: string, title = text): HTMLTableCellElement => {
    const td = document.createElement('td');
    td.textContent = text;
    td.title = title;
    row.append(td);
    return td;
  };
  cell(result.name);
  cell(formatBytes(result.size));
  const token = result.fileToken ?? result.fileId ?? result.key ?? result.resourcePath ?? '';
  cell(result.rapid === true ? `${token} (instant)` : token, token).classList.add('file-token');
  const link = cell('', '');
  const href = downloadUrl(result, config);
  if (href !== undefined) {
    const a = document.createElement('a');
    a.href = href;
    a.textContent = 'Download';
    a.download = result.name;
    a.className = 'download-link';
    a.setAttribute('aria-label', `Download ${result.name}`);
    link.append(a);
  } else {
    link.textContent = '—';
  }
  byId<HTMLTableElement>('results').tBodies[0]?.prepend(row);
  byId('results-empty').hidden = true;
}

function numberField(id: string): number | undefined {
  const value = byId<HTMLInputElement>(id).value.trim();
  if (value === '') return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** PUT the emulator's fault config (specs/cloud-apis.md §7: error rate, latency, drops, early expiry). */
async function applyFaults(config: DemoConfig, faults: Record<string, unknown>): Promise<string> {
  const response = await fetch(config.faultsUrl, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
  if (!response.ok) return `The emulator refused the faults (${String(response.status)}): ${await response.text()}`;
  return Object.keys(faults).length === 0 ? 'Faults are off.' : `Faults on: ${JSON.stringify(faults)}`;
}

async function main(): Promise<void> {
  const config = await loadDemoConfig();
  const uploader = byId<CloudChunkUploader>('uploader');
  const provider = byId<HTMLSelectElement>('provider');
  const target = byId<HTMLInputElement>('target');
  const lang = byId<HTMLSelectElement>('lang');
  byId('backend-url').textContent = config.endpoint;
  byId('emulator-url').textContent = config.emulatorUrl;

  uploader.endpoint = config.endpoint;
  uploader.provider = config.provider;
  uploader.target = config.target;
  // Providers without a browser client yet stay visible but cannot be picked.
  const supported: readonly string[] = supportedProviders();
  for (const option of provider.options) {
    option.disabled = !supported.includes(option.value);
    if (option.disabled) option.textContent = `${option.value} (no browser client yet)`;
  }
  provider.value = config.provider;
  target.value = config.target;

  // provider and target can change at any time; files added afterwards use the new values.
  // Each provider keeps its own target (a folder token is no S3 key prefix), starting from the config's.
  const targets: Partial<Record<string, string>> = { feishu: config.target, lark: config.target, ...config.targets, [config.provider]: config.target };
  provider.addEventListener('change', () => {
    if (!isProviderName(provider.value)) return;
    targets[uploader.provider] = target.value.trim();
    uploader.provider = provider.value;
    const next = targets[provider.value];
    if (next !== undefined) {
      target.value = next;
      uploader.target = next;
    }
  });
  target.addEventListener('input', () => {
    uploader.target = target.value.trim();
  });
  byId<HTMLInputElement>('max-file-size').addEventListener('input', () => {
    const mib = numberField('max-file-size');
    if (mib === undefined || mib <= 0) uploader.removeAttribute('max-file-size');
    else uploader.maxFileSize = mib * 1024 * 1024;
  });
  lang.addEventListener('change', () => {
    uploader.lang = lang.value;
  });
  byId<HTMLFormElement>('settings').addEventListener('submit', (event) => event.preventDefault());

  uploader.addEventListener('upload-success', (event) => {
    const { result } = event.detail.upload;
    if (result !== undefined) addResultRow(result, config);
  });

  const status = byId('fault-status');
  const report = (promise: Promise<string>): void => {
    promise.then(
      (text) => (status.textContent = text),
      (error: unknown) => (status.textContent = `Cannot reach the emulator: ${error instanceof Error ? error.message : String(error)}`),
    );
  };
  byId<HTMLFormElement>('faults').addEventListener('submit', (event) => {
    event.preventDefault();
    const route: Record<string, number> = {};
    const errorRate = numberField('fault-error-rate');
    const latencyMs = numberField('fault-latency');
    const dropRate = numberField('fault-drop-rate');
    if (errorRate !== undefined && errorRate > 0) route['errorRate'] = errorRate;
    if (latencyMs !== undefined && latencyMs > 0) route['latencyMs'] = latencyMs;
    if (dropRate !== undefined && dropRate > 0) route['dropRate'] = dropRate;
    const faults: Record<string, unknown> = {};
    const partRoute = (isProviderName(provider.value) ? config.partRoutes?.[provider.value] : undefined) ?? config.partRoute;
    if (Object.keys(route).length > 0) faults['routes'] = { [partRoute]: route };
    const expire = numberField('fault-expire');
    if (expire !== undefined && expire >= 1) faults['expireUploadsAfterParts'] = Math.floor(expire);
    report(applyFaults(config, faults));
  });
  byId('fault-reset').addEventListener('click', () => {
    byId<HTMLFormElement>('faults').reset();
    report(applyFaults(config, {}));
  });
}

main().catch((error: unknown) => {
  document.body.prepend(Object.assign(document.createElement('p'), { role: 'alert', textContent: `Demo failed to start: ${String(error)}` }));
});
