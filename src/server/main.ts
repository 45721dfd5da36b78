// `npm run server`: the token-vending backend, configured from the environment
// (serverOptionsFromEnv documents every variable). Never prints secrets.
import { serverOptionsFromEnv } from './server-options-from-env.js';
import { startUploadServer } from './start-upload-server.js';

const { warnings, ...options } = serverOptionsFromEnv(process.env);
for (const warning of warnings) console.warn(`[server] warning: ${warning}`);
const server = await startUploadServer(options);
console.log(`[server] session protocol v1 at ${server.url}/v1 (feishu → ${options.providers.feishu?.baseUrl ?? 'off'}; origins: ${options.allowedOrigins?.join(', ') || 'same-origin only'})`);

const stop = () => {
  server.close().then(() => process.exit(0), () => process.exit(1));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
