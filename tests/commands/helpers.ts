// Running commands without a server: a caller and a set of actions that record what a command
// asked the server to do (the real actions are tested end to end in tests/server/bot.test.ts).

import type { BotActions, Caller } from '../../src/commands/definition.ts';
import { ParlorError } from '../../src/protocol/errors.ts';

export const OPERATOR_PASSWORD = 'op secret';

export function caller(overrides: Partial<Caller> = {}): Caller {
  return { name: 'Ada', key: 'ada', fingerprint: 'SHA256:' + 'A'.repeat(43), operator: false, ...overrides };
}

export interface RecordedActions extends BotActions {
  log: string[];
}

export function recordingActions(): RecordedActions {
  const log: string[] = [];
  return {
    log,
    disconnectCaller: (message) => log.push(`disconnect: ${message}`),
    checkOperatorPassword: async (password) => {
      if (password !== OPERATOR_PASSWORD) throw new ParlorError('BAD_PASSWORD', 'the operator password is wrong');
    },
    stopServer: (reason) => log.push(`stop: ${reason}`),
    kick: (name, reason) => {
      log.push(`kick ${name}: ${reason}`);
      return { name };
    },
    ban: (name, reason) => {
      log.push(`ban ${name}: ${reason}`);
      return { name, fingerprint: 'SHA256:' + 'B'.repeat(43) };
    },
    unban: (name) => {
      log.push(`unban ${name}`);
      return { name, fingerprint: 'SHA256:' + 'B'.repeat(43) };
    },
    release: (name) => {
      log.push(`release ${name}`);
      return { name, fingerprint: 'SHA256:' + 'C'.repeat(43) };
    },
    announce: (text) => {
      log.push(`announce: ${text}`);
      return { recipients: 3 };
    },
  };
}
