/**
 * Server discovery and account endpoints of the client-server API v1.13
 * (https://spec.matrix.org/v1.13/client-server-api/): #get_matrixclientversions,
 * #get_matrixclientv3login / #post_matrixclientv3login (`m.login.password` with a user
 * identifier), #post_matrixclientv3logout, #get_matrixclientv3accountwhoami,
 * #get_matrixclientv3capabilities, #get_matrixclientv3pushrules (the predefined rules),
 * #post_matrixclientv3useruseridfilter and #get_matrixclientv3useruseridfilterfilterid, #get_matrixclientv3profileuserid,
 * #put_matrixclientv3useruseridaccount_datatype (and the per-room variant), presence,
 * #get_matrixclientv3devices (and one device, and its display name), and
 * #get_matrixclientv1auth_metadata, answered 404 M_UNRECOGNIZED as a server without OAuth 2.0
 * must.
 */
import { forbidden, MatrixHttpError, notFound } from './errors.ts';
import { ok, type RequestContext, type Route } from './http.ts';
import { defaultPushRules } from './push-rules.ts';
import type { Device } from './state.ts';
import type { JsonObject } from './types.ts';

const v3 = '/_matrix/client/(?:v3|r0)';

const deviceInfo = (d: Device): JsonObject => ({
  device_id: d.deviceId,
  display_name: d.displayName === '' ? null : d.displayName,
  last_seen_ip: '127.0.0.1',
  last_seen_ts: null,
});

/** Account data the server keeps itself; a client PUT is refused. */
const serverControlled: ReadonlySet<string> = new Set(['m.fully_read', 'm.push_rules']);

/** Only the owner may touch `/user/{userId}/…` paths. */
function own(ctx: RequestContext): string {
  const userId = ctx.params[0] ?? '';
  if (userId !== ctx.device.userId) throw forbidden('Cannot access another user');
  return userId;
}

function profile(ctx: RequestContext): { displayname?: string; avatar_url?: string } {
  const userId = ctx.params[0] ?? '';
  const found = ctx.hs.users.has(userId) ? ctx.hs.profiles.get(userId) : undefined;
  if (found === undefined) throw notFound('Profile was not found');
  return found;
}

export const accountRoutes: readonly Route[] = [
  {
    method: 'GET',
    path: /^\/_matrix\/client\/versions$/,
    endpoint: 'versions',
    auth: false,
    handle: () =>
      ok({
        versions: [
          'r0.6.1',
          'v1.1',
          'v1.2',
          'v1.3',
          'v1.4',
          'v1.5',
          'v1.6',
          'v1.7',
          'v1.8',
          'v1.9',
          'v1.10',
          'v1.11',
          'v1.12',
          'v1.13',
        ],
        unstable_features: {},
      }),
  },
  {
    method: 'GET',
    path: /^\/_matrix\/client\/v1\/auth_metadata$/,
    endpoint: 'auth_metadata',
    auth: false,
    handle: () => {
      throw new MatrixHttpError(404, 'M_UNRECOGNIZED', 'OAuth 2.0 is not supported');
    },
  },
  {
    method: 'GET',
    path: new RegExp(`^${v3}/login$`),
    endpoint: 'login',
    auth: false,
    handle: () => ok({ flows: [{ type: 'm.login.password' }] }),
  },
  {
    method: 'POST',
    path: new RegExp(`^${v3}/login$`),
    endpoint: 'login',
    auth: false,
    handle: (ctx) => {
      const b = ctx.body;
      const identifier = (b['identifier'] ?? {}) as JsonObject;
      if (b['type'] !== 'm.login.password') {
        throw new MatrixHttpError(400, 'M_UNKNOWN', 'Unknown login type');
      }
      const given = identifier['user'] ?? b['user'];
      const name = typeof given === 'string' ? given : '';
      const userId = name.startsWith('@') ? name : `@${name}:${ctx.hs.serverName}`;
      const user = ctx.hs.users.get(userId);
      if (user === undefined || b['password'] !== user.password) {
        throw forbidden('Invalid username or password');
      }
      const deviceId = typeof b['device_id'] === 'string' ? b['device_id'] : undefined;
      const device = ctx.hs.addDevice(userId, deviceId);
      return ok({
        user_id: userId,
        access_token: device.accessToken,
        device_id: device.deviceId,
        home_server: ctx.hs.serverName,
      });
    },
  },
  {
    method: 'POST',
    path: new RegExp(`^${v3}/logout$`),
    endpoint: 'logout',
    handle: (ctx) => {
      const index = ctx.hs.devices.indexOf(ctx.device);
      if (index >= 0) ctx.hs.devices.splice(index, 1);
      return ok({});
    },
  },
  {
    method: 'GET',
    path: new RegExp(`^${v3}/account/whoami$`),
    endpoint: 'whoami',
    handle: (ctx) =>
      ok({ user_id: ctx.device.userId, device_id: ctx.device.deviceId, is_guest: false }),
  },
  {
    method: 'GET',
    path: new RegExp(`^${v3}/capabilities$`),
    endpoint: 'capabilities',
    handle: () =>
      ok({
        capabilities: {
          'm.change_password': { enabled: false },
          'm.room_versions': { default: '10', available: { '10': 'stable', '11': 'stable' } },
          'm.set_displayname': { enabled: true },
          'm.set_avatar_url': { enabled: true },
          'm.3pid_changes': { enabled: false },
        },
      }),
  },
  {
    method: 'GET',
    path: new RegExp(`^${v3}/pushrules/?$`),
    endpoint: 'pushrules',
    handle: (ctx) => ok(defaultPushRules(ctx.device.userId)),
  },
  {
    method: 'POST',
    path: new RegExp(`^${v3}/user/([^/]+)/filter$`),
    endpoint: 'filter',
    handle: (ctx) => {
      const userId = own(ctx);
      let list = ctx.hs.filters.get(userId);
      if (list === undefined) ctx.hs.filters.set(userId, (list = []));
      list.push(ctx.body);
      return ok({ filter_id: String(list.length - 1) });
    },
  },
  {
    method: 'GET',
    path: new RegExp(`^${v3}/user/([^/]+)/filter/([^/]+)$`),
    endpoint: 'filter',
    handle: (ctx) => {
      const filter = ctx.hs.filters.get(own(ctx))?.[Number(ctx.params[1])];
      if (filter === undefined) throw notFound('No such filter');
      return ok(filter);
    },
  },
  {
    method: 'GET',
    path: new RegExp(`^${v3}/profile/([^/]+)$`),
    endpoint: 'profile',
    auth: false,
    handle: (ctx) => ok(profile(ctx)),
  },
  {
    method: 'GET',
    path: new RegExp(`^${v3}/profile/([^/]+)/(displayname|avatar_url)$`),
    endpoint: 'profile',
    auth: false,
    handle: (ctx) => {
      const field = ctx.params[1] === 'avatar_url' ? 'avatar_url' : 'displayname';
      const value = profile(ctx)[field];
      if (value === undefined) throw notFound('Profile field not set');
      return ok({ [field]: value });
    },
  },
  {
    method: 'PUT',
    path: new RegExp(`^${v3}/profile/([^/]+)/(displayname|avatar_url)$`),
    endpoint: 'profile',
    handle: (ctx) => {
      const userId = own(ctx);
      const field = ctx.params[1] === 'avatar_url' ? 'avatar_url' : 'displayname';
      const value = ctx.body[field];
      if (typeof value !== 'string')
        throw new MatrixHttpError(400, 'M_BAD_JSON', `${field} must be a string`);
      ctx.hs.profiles.set(userId, { ...ctx.hs.profiles.get(userId), [field]: value });
      return ok({});
    },
  },
  {
    method: 'GET',
    path: new RegExp(`^${v3}/user/([^/]+)/(?:rooms/([^/]+)/)?account_data/([^/]+)$`),
    endpoint: 'account_data',
    handle: (ctx) => {
      const content = ctx.hs.getAccountData(own(ctx), ctx.params[1] ?? '', ctx.params[2] ?? '');
      if (content === undefined) throw notFound('Account data not found');
      return ok(content);
    },
  },
  {
    method: 'PUT',
    path: new RegExp(`^${v3}/user/([^/]+)/(?:rooms/([^/]+)/)?account_data/([^/]+)$`),
    endpoint: 'account_data',
    handle: (ctx) => {
      const userId = own(ctx);
      const roomId = ctx.params[1] ?? '';
      const type = ctx.params[2] ?? '';
      // 405 M_BAD_JSON: "This type of account data is controlled by the server; it cannot be
      // modified by clients" (the PUT's responses in v1.13): m.fully_read has its own
      // endpoint (/read_markers), m.push_rules the /pushrules ones.
      if (serverControlled.has(type)) {
        throw new MatrixHttpError(405, 'M_BAD_JSON', `Cannot set ${type} through /account_data`);
      }
      if (roomId !== '' && ctx.hs.room(roomId) === undefined) {
        throw new MatrixHttpError(400, 'M_INVALID_PARAM', 'Unknown room');
      }
      ctx.hs.setAccountData(userId, roomId, type, ctx.body);
      return ok({});
    },
  },
  {
    method: 'GET',
    path: new RegExp(`^${v3}/devices$`),
    endpoint: 'devices',
    handle: (ctx) => ok({ devices: ctx.hs.devicesOf(ctx.device.userId).map(deviceInfo) }),
  },
  {
    method: 'GET',
    path: new RegExp(`^${v3}/devices/([^/]+)$`),
    endpoint: 'devices',
    handle: (ctx) => {
      const found = ctx.hs.devicesOf(ctx.device.userId).find((d) => d.deviceId === ctx.params[0]);
      if (found === undefined) throw notFound('Device not found');
      return ok(deviceInfo(found));
    },
  },
  {
    method: 'PUT',
    path: new RegExp(`^${v3}/devices/([^/]+)$`),
    endpoint: 'devices',
    handle: (ctx) => {
      const found = ctx.hs.devicesOf(ctx.device.userId).find((d) => d.deviceId === ctx.params[0]);
      if (found === undefined) throw notFound('Device not found');
      const name = ctx.body['display_name'];
      if (typeof name === 'string') found.displayName = name;
      return ok({});
    },
  },
  {
    method: 'GET',
    path: new RegExp(`^${v3}/presence/([^/]+)/status$`),
    endpoint: 'presence',
    handle: () => ok({ presence: 'offline' }),
  },
  {
    method: 'PUT',
    path: new RegExp(`^${v3}/presence/([^/]+)/status$`),
    endpoint: 'presence',
    handle: (ctx) => {
      own(ctx);
      return ok({});
    },
  },
];
