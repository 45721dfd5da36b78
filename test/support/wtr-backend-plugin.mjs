// web-test-runner plugin: placeholder until the browser suites need the emulator + backend.
export function testBackendPlugin() {
  return { name: 'test-backend' };
}
