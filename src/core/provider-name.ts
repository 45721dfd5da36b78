/** Every provider the uploader knows, by the name used in the `provider` attribute. */
export const PROVIDER_NAMES = ['feishu', 'lark', 'pds', 'cos-legacy', 's3'] as const;

/** A provider name: `feishu` and `lark` share one module with different base URLs. */
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** Narrow an untrusted string to a ProviderName. */
export function isProviderName(value: unknown): value is ProviderName {
  return typeof value === 'string' && (PROVIDER_NAMES as readonly string[]).includes(value);
}
