/** The part of @vercel/ncc's programmatic API (it ships no types) that scripts/bundle.ts uses. */
declare module '@vercel/ncc' {
  interface NccOptions {
    cache?: string | false;
    externals?: string[];
    minify?: boolean;
    sourceMap?: boolean;
    sourceMapRegister?: boolean;
    sourceMapBasePrefix?: string;
    esm?: boolean;
    target?: string;
    v8cache?: boolean;
    quiet?: boolean;
    license?: string;
  }
  interface NccAsset {
    source: string | Uint8Array;
    permissions?: number;
  }
  interface NccResult {
    code: string;
    map?: string;
    assets: Record<string, NccAsset>;
  }
  function ncc(entry: string, options?: NccOptions): Promise<NccResult>;
  export default ncc;
}
