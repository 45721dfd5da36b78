import { css } from 'lit';

/**
 * Styles of `<cloud-chunk-uploader>`. Every colour and size goes through a `--ccu-*`
 * custom property with a fallback, so a page themes the element without `::part`.
 */
export const cloudChunkUploaderStyles = css`
  :host {
    display: block;
    box-sizing: border-box;
    font-family: var(--ccu-font-family, system-ui, -apple-system, 'Segoe UI', sans-serif);
    font-size: var(--ccu-font-size, 0.875rem);
    color: var(--ccu-color-text, #1f2329);
    /* The rows ellipsize long names; the element itself never grows past its box. */
    min-width: 0;
    max-width: 100%;
  }

  :host([hidden]) {
    display: none;
  }

  *,
  *::before,
  *::after {
    box-sizing: inherit;
  }

  .drop-zone {
    display: flex;
    align-items: center;
    justify-content: center;
    min-height: var(--ccu-drop-zone-min-height, 6rem);
    padding: var(--ccu-spacing, 0.75rem);
    border: 2px dashed var(--ccu-border-color, #c5cad3);
    border-radius: var(--ccu-border-radius, 0.5rem);
    background: var(--ccu-drop-zone-background, #f7f8fa);
    color: var(--ccu-color-muted, #646a73);
    text-align: center;
    cursor: pointer;
    user-select: none;
  }

  .drop-zone:hover,
  .drop-zone.dragging {
    border-color: var(--ccu-color-accent, #3370ff);
    background: var(--ccu-drop-zone-active-background, #eef3ff);
  }

  .drop-zone:focus-visible,
  button:focus-visible {
    outline: var(--ccu-focus-ring, 2px solid #3370ff);
    outline-offset: 2px;
  }

  /* The real input stays in the tree (forms, tests, assistive tech) but out of sight. */
  .file-input,
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    margin: -1px;
    padding: 0;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
    border: 0;
  }

  .notice {
    margin: var(--ccu-spacing, 0.75rem) 0 0;
    color: var(--ccu-color-error, #d83931);
  }

  .resume-notice,
  .storage-notice,
  .wait {
    color: var(--ccu-color-muted, #646a73);
  }

  .resume-notice,
  .storage-notice {
    margin: var(--ccu-spacing, 0.75rem) 0 0;
  }

  .wait {
    grid-column: 1 / -1;
    overflow-wrap: anywhere;
  }

  .summary {
    display: flex;
    align-items: center;
    gap: var(--ccu-spacing, 0.75rem);
    margin-top: var(--ccu-spacing, 0.75rem);
  }

  .summary .progress-bar {
    flex: 1 1 auto;
  }

  .file-list {
    list-style: none;
    margin: var(--ccu-spacing, 0.75rem) 0 0;
    padding: 0;
    display: grid;
    gap: calc(var(--ccu-spacing, 0.75rem) / 2);
  }

  .file-row {
    display: grid;
    grid-template-columns: minmax(0, 1fr) auto;
    gap: 0.25rem 0.75rem;
    padding: calc(var(--ccu-spacing, 0.75rem) / 1.5);
    border: 1px solid var(--ccu-border-color, #dee0e3);
    border-radius: var(--ccu-border-radius, 0.5rem);
    background: var(--ccu-row-background, #fff);
    min-width: 0;
  }

  .file-name {
    min-width: 0;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
    font-weight: 600;
  }

  .file-meta {
    display: flex;
    flex-wrap: wrap;
    gap: 0 0.75rem;
    color: var(--ccu-color-muted, #646a73);
    font-variant-numeric: tabular-nums;
    grid-column: 1 / -1;
  }

  .file-row .progress-bar {
    grid-column: 1 / -1;
  }

  .actions {
    display: flex;
    gap: 0.25rem;
    justify-content: end;
  }

  .progress-bar {
    height: var(--ccu-progress-height, 0.375rem);
    border-radius: calc(var(--ccu-progress-height, 0.375rem) / 2);
    background: var(--ccu-progress-track-color, #e4e6eb);
    overflow: hidden;
  }

  .progress-indicator {
    height: 100%;
    width: var(--ccu-progress, 0%);
    background: var(--ccu-progress-color, var(--ccu-color-accent, #3370ff));
    transition: width 0.2s linear;
  }

  .file-row[data-status='done'] .progress-indicator {
    background: var(--ccu-color-success, #34c724);
  }

  .file-row[data-status='failed'] .progress-indicator {
    background: var(--ccu-color-error, #d83931);
  }

  .error {
    grid-column: 1 / -1;
    color: var(--ccu-color-error, #d83931);
    overflow-wrap: anywhere;
  }

  button {
    font: inherit;
    padding: 0.125rem 0.625rem;
    border: 1px solid var(--ccu-border-color, #c5cad3);
    border-radius: var(--ccu-button-border-radius, 0.25rem);
    background: var(--ccu-button-background, #fff);
    color: inherit;
    cursor: pointer;
  }

  button:hover {
    border-color: var(--ccu-color-accent, #3370ff);
  }

  @media (prefers-reduced-motion: reduce) {
    .progress-indicator {
      transition: none;
    }
  }
`;
