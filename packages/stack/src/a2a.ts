/** Calls to the Telex integration's A2A agent the way Telex makes them (telexorg's own examples). */

export interface JsonRpcAnswer {
  status: number;
  body: {
    jsonrpc?: string;
    id?: unknown;
    result?: {
      kind?: string;
      id?: string;
      contextId?: string;
      status?: { state?: string; message?: { parts?: { kind?: string; text?: string }[] } };
    };
    error?: { code?: number; message?: string };
  };
}

/** One raw JSON-RPC call: no A2A-Version header, so the agent speaks v0.3, as to Telex. */
export async function a2aCall(
  agentUrl: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<JsonRpcAnswer> {
  const response = await fetch(`${agentUrl}/a2a`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as JsonRpcAnswer['body'] };
}

/**
 * Telex's message/send: the text as HTML, the channel's history as a data part holding an array of
 * earlier text parts, Telex's metadata, the channel id as contextId, nulls where it has nothing.
 */
export function telexMessageSend(id: string, html: string, configuration: unknown = null) {
  return {
    jsonrpc: '2.0',
    id,
    method: 'message/send',
    params: {
      message: {
        kind: 'message',
        role: 'user',
        parts: [
          { kind: 'text', text: html, metadata: null },
          {
            kind: 'data',
            data: [
              { kind: 'text', text: '<p>an earlier message</p>' },
              { kind: 'text', text: 'health' },
            ],
          },
        ],
        metadata: { telex_user_id: 'user-7', telex_channel_id: 'channel-9' },
        messageId: crypto.randomUUID().replaceAll('-', ''),
        contextId: 'channel-9',
        taskId: null,
      },
      configuration,
      metadata: null,
    },
  };
}

/** The text of a v0.3 answer's status message ('' when there is none). */
export function answerText(answer: JsonRpcAnswer): string {
  return answer.body.result?.status?.message?.parts?.[0]?.text ?? '';
}
