import type { Icon } from '@modelcontextprotocol/server';
import { BoundedMap } from '../lib/bounded-map';

/**
 * An icon (MCP 2025-11-25 `icons`): `src` is a path on this server (a file of public/, served
 * by Cloudflare before the Worker runs) or an https URL. A client is told to fetch icons from the
 * server's own origin and over https only, so a path becomes an absolute URL on the origin the
 * request came to, and any other URL must be https.
 */
export interface IconFile {
  src: `/${string}` | `https://${string}`;
  mimeType: 'image/svg+xml' | 'image/png' | 'image/jpeg' | 'image/webp';
  /** `WxH` sizes, or `any` for a scalable image (SVG). */
  sizes: readonly string[];
}

/** A hand-made SVG of public/icons/, drawn on a 24×24 grid and scalable. */
export function svgIcon(name: string): IconFile {
  return { src: `/icons/${name}.svg`, mimeType: 'image/svg+xml', sizes: ['any'] };
}

/**
 * The server's icons, in serverInfo: a scalable SVG and a 48×48 PNG (clients that show icons must
 * read PNG; SVG support is recommended only).
 */
export const SERVER_ICONS: readonly IconFile[] = [
  svgIcon('server'),
  { src: '/icons/server-48.png', mimeType: 'image/png', sizes: ['48x48'] },
];

/** Icons already resolved, per origin (a handful per isolate) and per list. */
const resolved = new BoundedMap<string, WeakMap<readonly IconFile[], Icon[]>>(16);

/**
 * `icons` as MCP lists them for a request to `origin`: absolute URLs on that origin (or the https
 * URL given), with `mimeType` and `sizes`. Built once per origin and list; the result is shared by
 * the requests of the isolate, so it is frozen.
 */
export function iconsAt(origin: string, icons: readonly IconFile[]): Icon[] {
  const byList = resolved.getOrSet(origin, () => new WeakMap());
  let listed = byList.get(icons);
  if (!listed) {
    listed = icons.map((icon) =>
      Object.freeze({
        src: iconUrl(origin, icon.src),
        mimeType: icon.mimeType,
        sizes: Object.freeze([...icon.sizes]) as string[],
      }),
    );
    Object.freeze(listed);
    byList.set(icons, listed);
  }
  return listed;
}

function iconUrl(origin: string, src: IconFile['src']): string {
  const url = new URL(src, origin);
  if (url.origin !== origin && url.protocol !== 'https:') {
    throw new Error(`The icon ${src} must be https or on this server (${origin}).`);
  }
  return url.href;
}
