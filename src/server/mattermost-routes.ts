/**
 * The Mattermost endpoints: `/mattermost/command` for slash commands (POST form-encoded, or
 * GET with the same fields in the query, as the command's Request Method says) and
 * `/mattermost/actions` for button clicks (POST JSON). Bodies are limited in size (413).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { actionsPath, type MattermostAdapter } from '../chat/mattermost/adapter.ts';
import { tokenFromHeader } from '../chat/mattermost/inbound.ts';
import type { HttpAnswer } from '../chat/mattermost/slash.ts';
import { BodyTooLarge, readBody, sendJson, sendTooLarge } from './body.ts';
import type { Route } from './http.ts';

export const commandPath = '/mattermost/command';

/** A slash request is a handful of short fields; a click is a small JSON object. */
const maxBodyBytes = 64 * 1024;

type Handlers = Pick<MattermostAdapter, 'slash' | 'action'>;

async function withBody(
  req: IncomingMessage,
  res: ServerResponse,
  answer: (body: Buffer) => Promise<HttpAnswer>,
): Promise<void> {
  let body: Buffer;
  try {
    body = await readBody(req, maxBodyBytes);
  } catch (error) {
    if (error instanceof BodyTooLarge) {
      sendTooLarge(req, res);
      return;
    }
    throw error;
  }
  const { status, body: json } = await answer(body);
  sendJson(res, status, json);
}

export function mattermostRoutes(adapter: Handlers): Route[] {
  return [
    {
      methods: ['POST', 'GET'],
      path: commandPath,
      handle: (req, res) =>
        withBody(req, res, (body) => {
          const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
          const form = req.method === 'GET' ? query : new URLSearchParams(body.toString('utf8'));
          return adapter.slash(form, tokenFromHeader(req.headers.authorization));
        }),
    },
    {
      methods: ['POST'],
      path: actionsPath,
      handle: (req, res) =>
        withBody(req, res, (body) => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(body.toString('utf8'));
          } catch {
            return Promise.resolve({ status: 400, body: { error: 'malformed JSON' } });
          }
          return adapter.action(parsed);
        }),
    },
  ];
}
