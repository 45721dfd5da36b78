import { DEMO_CONFIG_PATH, DEFAULT_DEMO_CONFIG, type DemoConfig } from './demo-config.js';

/**
 * Read the URLs `npm start` chose (served by the Vite plugin); a static build falls back to
 * the defaults. Shared by the plain, React and Vue demo pages.
 */
export async function loadDemoConfig(): Promise<DemoConfig> {
  try {
    const response = await fetch(DEMO_CONFIG_PATH, { cache: 'no-store' });
    if (response.ok) return { ...DEFAULT_DEMO_CONFIG, ...((await response.json()) as Partial<DemoConfig>) };
  } catch {
    // No dev server (e.g. `vite preview` of a build): use the documented default ports.
  }
  return DEFAULT_DEMO_CONFIG;
}
