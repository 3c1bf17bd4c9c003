import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RecordingServer } from './recording-server.ts';

export const CHATS = ['slack', 'discord', 'teams', 'telex'] as const;
export type Chat = (typeof CHATS)[number];

/** The path each stand-in's webhook URL has, shaped like the real service's. */
const WEBHOOK_PATHS: Record<Chat, string> = {
  slack: '/services/T000/B000/XXXX',
  discord: '/api/webhooks/1/abc',
  teams: '/workflows/1/triggers/manual/paths/invoke',
  telex: '/v1/webhooks/channel-1',
};

export interface ChatStandIns {
  servers: Record<Chat, RecordingServer>;
  /** What render-config.sh reads to turn every chat on: URL files for three, the URL for Telex. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * A recording HTTP server on 127.0.0.1 for each chat service, and the settings that point
 * Alertmanager at them as .env would (webhook URL files written to `dir`, mode 600).
 */
export async function startChatStandIns(dir: string): Promise<ChatStandIns> {
  const servers = {} as Record<Chat, RecordingServer>;
  const env: Record<string, string> = {};
  for (const chat of CHATS) {
    const server = await RecordingServer.start(chat);
    servers[chat] = server;
    const url = `${server.url}${WEBHOOK_PATHS[chat]}`;
    if (chat === 'telex') {
      env.TELEX_WEBHOOK_URL = url;
      continue;
    }
    const file = join(dir, `${chat}_webhook_url`);
    await writeFile(file, `${url}\n`);
    await chmod(file, 0o600);
    env[`${chat.toUpperCase()}_WEBHOOK_URL_FILE`] = file;
  }
  return {
    servers,
    env,
    stop: async () => {
      for (const server of Object.values(servers)) await server.stop();
    },
  };
}
