/**
 * The default `authenticate` hook: lets every caller in, as subject `local`, but only when the
 * request was addressed to a loopback host (`localhost`, `127.0.0.0/8`, `[::1]`, from the
 * request URL, i.e. the Host header) and, when the browser sent an `Origin`, that origin is a
 * loopback host too. Anything else gets `null` (401).
 *
 * A fetch `Request` carries no peer address, so this trusts the Host header: it is only a guard
 * for development, and only sound while the server listens on loopback (startUploadServer
 * binds 127.0.0.1 by default). Production deployments must pass their own `authenticate`.
 *
 * @example
 * createUploadHandler({ secret, providers, authenticate: localOnlyAuthenticate });
 */
export function localOnlyAuthenticate(request: Request): { subject: string } | null {
  if (!isLoopbackHost(new URL(request.url).hostname)) return null;
  const origin = request.headers.get('origin');
  if (origin !== null) {
    let host: string;
    try {
      host = new URL(origin).hostname;
    } catch {
      return null;
    }
    if (!isLoopbackHost(host)) return null;
  }
  return { subject: 'local' };
}

function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname.endsWith('.localhost') || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}
