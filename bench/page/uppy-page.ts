// The peer baseline (issue 7 item 3): Uppy 6 with @uppy/aws-s3, configured as its docs say
// for a backend that presigns (`signRequest` → POST /sign on the app's own origin, which signs
// with our backend's S3 signer), uploading to the same S3 emulator as our element.
import Uppy from '@uppy/core';
import AwsS3 from '@uppy/aws-s3';
import type { Timed, UppyPageApi } from './bench-page-api.js';

interface SignedUrl {
  url: string;
  key?: string;
  headers?: Record<string, string>;
}

const api: UppyPageApi = {
  async upload(signUrl, timeoutMs) {
    const file = (document.getElementById('bench-input') as HTMLInputElement | null)?.files?.[0];
    if (file === undefined) throw new Error('no file picked into #bench-input');
    const uppy = new Uppy({ autoProceed: false });
    uppy.use(AwsS3, {
      // @uppy/aws-s3 6 defaults otherwise: multipart above 100 MiB, 5 MiB parts, parts of one file in sequence.
      signRequest: async (request) => {
        const res = await fetch(signUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
        if (!res.ok) throw new Error(`sign: ${res.status}`);
        return (await res.json()) as SignedUrl;
      },
    });
    uppy.addFile({ name: file.name, type: file.type || 'application/octet-stream', data: file });
    const started = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const result = await Promise.race([
        uppy.upload(),
        new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), timeoutMs);
        }),
      ]);
      const ms = performance.now() - started;
      const ok = result?.successful?.length === 1 && (result.failed?.length ?? 0) === 0;
      const failure = result?.failed?.[0]?.error;
      const detail: Timed['detail'] = { status: result === undefined ? 'timeout' : ok ? 'done' : 'failed', error: failure === undefined ? null : String(failure) };
      return { ms, bytes: file.size, detail };
    } finally {
      clearTimeout(timer);
      uppy.destroy();
    }
  },
};
window.ccuUppy = api;
document.documentElement.dataset['benchReady'] = 'true';
