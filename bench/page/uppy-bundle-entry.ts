// The peer's equivalent of bundle-entry.ts: headless Uppy 6 core + @uppy/aws-s3, no UI plugins.
import Uppy from '@uppy/core';
import AwsS3 from '@uppy/aws-s3';

new Uppy().use(AwsS3, { signRequest: async (request) => (await fetch('/sign', { method: 'POST', body: JSON.stringify(request) })).json() as Promise<{ url: string }> });
