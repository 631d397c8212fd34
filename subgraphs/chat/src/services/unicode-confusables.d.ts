// The package ships its declarations under a name TypeScript does not look for (index.ts.d).
declare module 'unicode-confusables' {
  /** Each character replaced by its UTS #39 prototype (confusables.txt), zero-width characters dropped. */
  export function rectifyConfusion(text: string): string;
  export function isConfusing(text: string): boolean;
}
