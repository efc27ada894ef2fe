// The name a login form starts with, in both UIs: the one last used on this server, else the
// user's login name; but never a name the server would refuse as reserved (a newcomer logged in as
// root or admin would otherwise meet NAME_INVALID first): then the field starts empty and asks.

import { reservedLookAlike } from '../protocol/look-alike-names.ts';

export function defaultChatName(rememberedForServer: string | undefined, loginName: string): string {
  if (rememberedForServer !== undefined) return rememberedForServer;
  return reservedLookAlike(loginName) === undefined ? loginName : '';
}
