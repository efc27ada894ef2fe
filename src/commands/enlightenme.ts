// `!enlightenme`: asks Wikipedia for a random article without following the redirect, and answers
// with where the redirect points, as a link that the caller's client opens. The base URL is an
// option so that tests (and a LAN with its own Kiwix mirror) can point it elsewhere.

import { DEFAULT_WIKIPEDIA_URL } from '../options.ts';
import { ParlorError } from '../protocol/errors.ts';
import { PARLOR_VERSION } from '../version.ts';
import type { CommandDefinition } from './definition.ts';

/** axios is loaded at the first !enlightenme, not at server start (it brings ~7 MB of heap). */
let loadedAxios: Promise<typeof import('axios').default> | undefined;
const axiosModule = () => (loadedAxios ??= import('axios').then((module) => module.default));

export interface EnlightenOptions {
  baseUrl?: string;
  /** How long to wait for Wikipedia's answer. */
  requestTimeoutMs?: number;
}

export function enlightenmeCommand(options: EnlightenOptions = {}): CommandDefinition {
  const base = new URL(options.baseUrl ?? DEFAULT_WIKIPEDIA_URL);
  const requestTimeoutMs = options.requestTimeoutMs ?? 5_000;
  return {
    name: 'enlightenme',
    aliases: ['wiki'],
    summary: 'opens a random Wikipedia article',
    usage: '!enlightenme',
    permission: 'everyone',
    cooldownMs: 2_000,
    timeoutMs: requestTimeoutMs + 1_000,
    maxOutputBytes: 2048,
    run: async (context) => {
      const asked = new URL('wiki/Special:Random', base.href.endsWith('/') ? base : `${base.href}/`);
      const axios = await axiosModule();
      let response;
      try {
        response = await axios.get(asked.href, {
          maxRedirects: 0,
          timeout: requestTimeoutMs,
          signal: context.signal,
          // Every status is an answer to judge here, not an exception.
          validateStatus: () => true,
          // Not the environment's HTTP(S)_PROXY: the server asks the site it was configured with.
          proxy: false,
          responseType: 'text',
          maxContentLength: 64 * 1024,
          headers: { 'User-Agent': `parlor-bot/${PARLOR_VERSION}` },
        });
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || code === 'ERR_CANCELED') {
          throw new ParlorError('UPSTREAM_FAILED', `${base.host} did not answer within ${requestTimeoutMs} ms`);
        }
        throw new ParlorError('UPSTREAM_FAILED', `${base.host} could not be reached (${code ?? (error as Error).message})`);
      }
      const location = response.headers.location;
      if (response.status < 300 || response.status > 399 || typeof location !== 'string' || location === '') {
        throw new ParlorError('UPSTREAM_FAILED', `${base.host} answered ${response.status} instead of a redirect to an article`);
      }
      let target: URL;
      try {
        target = new URL(location, asked);
      } catch {
        throw new ParlorError('UPSTREAM_FAILED', `${base.host} redirected to something that is not a URL`);
      }
      // Only an article on the configured site: a redirect elsewhere is not opened in anyone's browser.
      if (target.origin !== base.origin) {
        throw new ParlorError('UPSTREAM_FAILED', `${base.host} redirected off the site (to ${target.host.slice(0, 100)}); not opened`);
      }
      const title = decodeTitle(target.pathname);
      return { kind: 'link', url: target.href, ...(title && { text: title }) };
    },
  };
}

/** `/wiki/Ada_Lovelace` → `Ada Lovelace`, for the line the user sees beside the link. */
function decodeTitle(pathname: string): string | undefined {
  const match = /\/wiki\/(.+)$/.exec(pathname);
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[1]!).replace(/_/g, ' ').slice(0, 200);
  } catch {
    return undefined;
  }
}
