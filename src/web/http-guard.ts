// Who may talk to `parlor web`'s HTTP server, decided before anything else runs. It listens on
// loopback only, but loopback is not private: any page in any browser on this machine can send
// requests there. So:
// - the Host header must name this server as 127.0.0.1:PORT, [::1]:PORT or localhost:PORT, or a
//   site that rebinds its DNS name to 127.0.0.1 could read our answers as same-origin (DNS rebinding);
// - every request needs the session cookie or the token printed at start (as Jupyter does);
// - a WebSocket upgrade must come from our own page's origin: browsers send cookies on cross-site
//   WebSocket handshakes, and SameSite alone does not stop a page on another port of localhost.
// Pure functions over the request's headers: tested without a socket.

import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * The cookie's name carries the port: browsers keep cookies by host, not by port, so two
 * `parlor web` processes on 127.0.0.1 would otherwise overwrite each other's.
 */
export function sessionCookieName(port: number): string {
  return `parlor_session_${port}`;
}

export interface GuardKeys {
  port: number;
  /** The token in the printed URL. */
  token: string;
  /** What the cookie carries once the token was traded for it. */
  cookie: string;
}

/** The Host values this server answers to. */
export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `[::1]:${port}`, `localhost:${port}`];
}

export function hostAllowed(headers: IncomingHttpHeaders, port: number): boolean {
  const host = headers.host;
  return host !== undefined && allowedHosts(port).includes(host.toLowerCase());
}

/** The Origin of our own page: the scheme and the Host the request came in on. */
export function originAllowed(headers: IncomingHttpHeaders, port: number): boolean {
  const origin = headers.origin;
  if (origin === undefined || !hostAllowed(headers, port)) return false;
  return origin.toLowerCase() === `http://${headers.host!.toLowerCase()}`;
}

export function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function cookieValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  for (const part of (headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

export type Admission = 'cookie' | 'token' | 'refused';

/** How the request proves it comes from the user: the cookie, the token in the URL, or not at all. */
export function admission(headers: IncomingHttpHeaders, url: URL, keys: GuardKeys): Admission {
  if (!hostAllowed(headers, keys.port)) return 'refused';
  if (sameSecret(cookieValue(headers, sessionCookieName(keys.port)), keys.cookie)) return 'cookie';
  if (sameSecret(url.searchParams.get('token') ?? undefined, keys.token)) return 'token';
  return 'refused';
}

export function sessionCookie(keys: GuardKeys): string {
  return `${sessionCookieName(keys.port)}=${keys.cookie}; HttpOnly; SameSite=Strict; Path=/`;
}

/**
 * No inline script or style, nothing from another origin, no frames, no forms, no plugins: a
 * message that slipped through as HTML would still have nothing to run and nowhere to send.
 */
export function contentSecurityPolicy(host: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob:",
    `connect-src 'self' ws://${host}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Headers on every answer. */
export function commonHeaders(host: string): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy(host),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}
