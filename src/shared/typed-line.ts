// A line typed in either UI: parsed by the shared parser, run by the UI, and a failure said in the
// conversation with its stable code; a line said while reconnecting is told it waits.

import { failedLineText, NOT_CONNECTED_TEXT, SAYING_KINDS } from './notices.ts';
import { parseChatLine, type ChatAction } from './slash-commands.ts';

export interface LineRunner {
  connected: boolean;
  notice(text: string, tone: 'info' | 'error'): void;
  run(action: ChatAction): Promise<void>;
}

export async function runTypedLine(line: string, ui: LineRunner): Promise<void> {
  const action = parseChatLine(line);
  // While reconnecting a line waits for the connection (ChatClient.request): say so at once.
  if (SAYING_KINDS.has(action.kind) && !ui.connected) ui.notice(NOT_CONNECTED_TEXT, 'info');
  try {
    await ui.run(action);
  } catch (error) {
    ui.notice(failedLineText(error, SAYING_KINDS.has(action.kind)), 'error');
  }
}
