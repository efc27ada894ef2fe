// A line typed in either UI: parsed by the shared parser; a usage error or a command that only asks
// the server answered here; the rest run by the UI; a failure said in the conversation with its
// stable code; a line said while reconnecting is told it waits.

import type { ChatClient } from '../client/chat-client.ts';
import { answerFromServer, type AnswerContext } from './chat-answers.ts';
import { failedLineText, NOT_CONNECTED_TEXT, SAYING_KINDS } from './notices.ts';
import { parseChatLine, type ChatAction } from './slash-commands.ts';

export interface LineRunner {
  chat: ChatClient;
  /** For the commands that only ask the server (chat-answers.ts). */
  context(): AnswerContext;
  /** `about`: the kind of line the notice answers, so a UI can say it where it belongs. */
  notice(text: string, tone: 'info' | 'error' | 'warning', about: ChatAction['kind']): void;
  /** Everything else the line may be: the UI's own. */
  run(action: ChatAction): Promise<void>;
}

export async function runTypedLine(line: string, ui: LineRunner): Promise<void> {
  const action = parseChatLine(line);
  // While reconnecting a line waits for the connection (ChatClient.request): say so at once.
  if (SAYING_KINDS.has(action.kind) && !ui.chat.connected) ui.notice(NOT_CONNECTED_TEXT, 'info', action.kind);
  if (action.kind === 'nothing') return;
  if (action.kind === 'error') return ui.notice(action.message, 'error', action.kind);
  try {
    const answer = await answerFromServer(ui.chat, action, ui.context());
    if (answer) ui.notice(answer.text, answer.tone, action.kind);
    else await ui.run(action);
  } catch (error) {
    ui.notice(failedLineText(error, SAYING_KINDS.has(action.kind)), 'error', action.kind);
  }
}
