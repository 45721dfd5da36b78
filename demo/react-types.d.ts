// The slice of React 19's API the React demo page uses, typed as React documents it.
// The project installs react and react-dom without @types/react and @types/react-dom, so
// this stands in for them; delete it when those two become devDependencies (an ambient
// module declared here would shadow theirs).
declare module 'react' {
  /** What a component may render. */
  export type ReactNode = ReactElement | string | number | bigint | boolean | null | undefined | readonly ReactNode[];

  /** An element made by `createElement`. */
  export interface ReactElement {
    readonly type: unknown;
    readonly props: unknown;
    readonly key: string | null;
  }

  /** A function component. */
  export type FunctionComponent<P> = (props: P) => ReactNode;

  /** A ref object (`useRef`). */
  export interface RefObject<T> {
    current: T;
  }

  export function createElement<P extends object>(type: FunctionComponent<P>, props?: (P & { key?: string | null }) | null, ...children: ReactNode[]): ReactElement;
  /**
   * A host element. For a custom element (a tag with a hyphen) React 19 sets each prop as a
   * property when the element has one (`key in element`), else as an attribute, and a
   * function prop named `on` + event type adds a listener for exactly that type:
   * `'onupload-success'` listens to `upload-success`.
   */
  export function createElement(type: string, props?: Record<string, unknown> | null, ...children: ReactNode[]): ReactElement;

  export function useState<S>(initial: S | (() => S)): [S, (next: S | ((previous: S) => S)) => void];
  export function useRef<T>(initial: T): RefObject<T>;
  export function useEffect(effect: () => void | (() => void), deps?: readonly unknown[]): void;
  export function useCallback<F extends (...args: never[]) => unknown>(callback: F, deps: readonly unknown[]): F;

  /** Development checks (double render, double effects); renders its children. */
  export const StrictMode: FunctionComponent<{ children?: ReactNode }>;
}

declare module 'react-dom/client' {
  import type { ReactNode } from 'react';

  /** A React root in a DOM container. */
  export interface Root {
    render(children: ReactNode): void;
    unmount(): void;
  }

  export function createRoot(container: Element | DocumentFragment): Root;
}
