import type { Chat } from '@fos/stack/chat';
import { expect } from 'vitest';

/** What a chat message says, read back from the body its service received. */
export interface ChatMessage {
  title: string;
  text: string;
}

const string = expect.any(String);

/**
 * Checks `body` against what the chat service's API accepts (field names, types, documented
 * limits) and returns its title and text. Slack: an incoming webhook's attachments. Discord: a
 * webhook's embeds (title <= 256, description <= 4096, all text <= 6000). Teams: a Workflows
 * webhook's message with an Adaptive Card. Telex: exactly message, username, event_name, status.
 */
export function readChatBody(chat: Chat, body: string): ChatMessage {
  const json = JSON.parse(body);
  switch (chat) {
    case 'slack': {
      expect(json.attachments).toHaveLength(1);
      const [attachment] = json.attachments;
      expect(attachment).toMatchObject({ title: string, text: string, fallback: string });
      expect(['good', 'warning', 'danger']).toContain(attachment.color);
      expect(attachment.fallback).toBe(attachment.title);
      expect(attachment.mrkdwn_in ?? []).toEqual(expect.any(Array));
      return { title: attachment.title, text: attachment.text };
    }
    case 'discord': {
      expect(json.embeds).toHaveLength(1);
      const [embed] = json.embeds;
      expect(embed).toMatchObject({ title: string, description: string, color: expect.any(Number) });
      expect(embed.title.length).toBeLessThanOrEqual(256);
      expect(embed.description.length).toBeLessThanOrEqual(4096);
      expect((json.content ?? '').length + embed.title.length + embed.description.length).toBeLessThanOrEqual(
        6000,
      );
      return { title: embed.title, text: embed.description };
    }
    case 'teams': {
      expect(json.type).toBe('message');
      expect(json.attachments).toHaveLength(1);
      const [attachment] = json.attachments;
      expect(attachment.contentType).toBe('application/vnd.microsoft.card.adaptive');
      const card = attachment.content;
      expect(card).toMatchObject({ type: 'AdaptiveCard', version: string, body: expect.any(Array) });
      expect(card.$schema).toMatch(/adaptivecards\.io/);
      const blocks = card.body.filter((block: { type: string }) => block.type === 'TextBlock');
      expect(blocks.length).toBeGreaterThanOrEqual(2);
      return {
        title: blocks[0].text,
        text: blocks
          .slice(1)
          .map((b: { text: string }) => b.text)
          .join('\n'),
      };
    }
    case 'telex': {
      expect(Object.keys(json).sort()).toEqual(['event_name', 'message', 'status', 'username']);
      expect(json).toEqual({ event_name: string, message: string, status: string, username: string });
      expect(['success', 'warning', 'error']).toContain(json.status);
      expect(json.event_name.length).toBeGreaterThan(0);
      return { title: json.event_name, text: json.message };
    }
  }
}
