import type { LaunchOptions } from 'playwright-core';
export function chromiumPath(): string | undefined;
export function chromiumLaunchOptions(extra?: Partial<LaunchOptions>): LaunchOptions;
