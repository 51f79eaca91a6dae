/**
 * End-to-end encryption as a pure relay (https://spec.matrix.org/v1.13/client-server-api/#end-to-end-encryption):
 * the server stores and hands out what clients upload and never looks inside.
 * #post_matrixclientv3keysupload (`device_keys`, `one_time_keys`, `fallback_keys`; answers
 * `one_time_key_counts`), #post_matrixclientv3keysquery (device keys and cross-signing keys of
 * the users asked), #post_matrixclientv3keysclaim (one one-time key per device, else its
 * fallback key), #get_matrixclientv3keyschanges, #post_matrixclientv3keysdevice_signingupload,
 * #post_matrixclientv3keyssignaturesupload, #put_matrixclientv3sendtodeviceeventtypetxnid
 * (idempotent per device and txn id; `*` means every device of the user), and
 * #get_matrixclientv3room_keysversion (404 M_NOT_FOUND: there is no key backup).
 */
import { MatrixHttpError, notFound } from './errors.ts';
import { ok, type Route } from './http.ts';
import { parseToken } from './pagination-routes.ts';
import type { Device } from './state.ts';
import type { JsonObject } from './types.ts';

const v3 = '/_matrix/client/(?:v3|r0)';

function counts(device: Device): Record<string, number> {
  const result: Record<string, number> = {};
  for (const id of device.oneTimeKeys.keys()) {
    const algorithm = id.split(':')[0] ?? '';
    result[algorithm] = (result[algorithm] ?? 0) + 1;
  }
  return result;
}

const objectOf = (value: unknown): JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : {};

export const keyRoutes: readonly Route[] = [
  {
    method: 'POST',
    path: new RegExp(`^${v3}/keys/upload$`),
    endpoint: 'keys_upload',
    handle: (ctx) => {
      const device = ctx.device;
      const keys = ctx.body['device_keys'];
      if (keys !== undefined) {
        const k = objectOf(keys);
        if (k['user_id'] !== device.userId || k['device_id'] !== device.deviceId) {
          throw new MatrixHttpError(400, 'M_INVALID_PARAM', 'device_keys are for another device');
        }
        device.keys = k;
        ctx.hs.keyChanges.set(device.userId, ctx.hs.advance());
      }
      const otks = Object.entries(objectOf(ctx.body['one_time_keys']));
      // A key id may not be reused for another key (Synapse answers 400 as well): a client
      // that lost its crypto store and starts a new account on the same device shows up here.
      for (const [id, key] of otks) {
        const known = device.oneTimeKeys.get(id);
        if (known !== undefined && JSON.stringify(known) !== JSON.stringify(key)) {
          throw new MatrixHttpError(400, 'M_INVALID_PARAM', `One time key ${id} already exists`);
        }
      }
      for (const [id, key] of otks) device.oneTimeKeys.set(id, key);
      const fallback = objectOf(ctx.body['fallback_keys']);
      if (Object.keys(fallback).length > 0) {
        device.fallbackKeys.clear();
        for (const [id, key] of Object.entries(fallback)) device.fallbackKeys.set(id, key);
      }
      return ok({ one_time_key_counts: counts(device) });
    },
  },
  {
    method: 'POST',
    path: new RegExp(`^${v3}/keys/query$`),
    endpoint: 'keys_query',
    handle: (ctx) => {
      const asked = objectOf(ctx.body['device_keys']);
      const deviceKeys: JsonObject = {};
      const master: JsonObject = {};
      const selfSigning: JsonObject = {};
      const userSigning: JsonObject = {};
      const signing = ctx.hs.crossSigning;
      for (const [userId, wanted] of Object.entries(asked)) {
        const ids = Array.isArray(wanted) ? (wanted as string[]) : [];
        const byDevice: JsonObject = {};
        for (const device of ctx.hs.devicesOf(userId)) {
          if (device.keys === undefined) continue;
          if (ids.length > 0 && !ids.includes(device.deviceId)) continue;
          byDevice[device.deviceId] = device.keys;
        }
        deviceKeys[userId] = byDevice;
        const keys = signing.get(userId);
        if (keys?.['master_key'] !== undefined) master[userId] = keys['master_key'];
        if (keys?.['self_signing_key'] !== undefined)
          selfSigning[userId] = keys['self_signing_key'];
        if (userId === ctx.device.userId && keys?.['user_signing_key'] !== undefined) {
          userSigning[userId] = keys['user_signing_key'];
        }
      }
      return ok({
        device_keys: deviceKeys,
        failures: {},
        master_keys: master,
        self_signing_keys: selfSigning,
        user_signing_keys: userSigning,
      });
    },
  },
  {
    method: 'POST',
    path: new RegExp(`^${v3}/keys/claim$`),
    endpoint: 'keys_claim',
    handle: (ctx) => {
      const result: Record<string, Record<string, JsonObject>> = {};
      for (const [userId, devices] of Object.entries(objectOf(ctx.body['one_time_keys']))) {
        for (const [deviceId, algorithm] of Object.entries(objectOf(devices))) {
          const device = ctx.hs.devicesOf(userId).find((d) => d.deviceId === deviceId);
          if (device === undefined) continue;
          const prefix = `${String(algorithm)}:`;
          const otk = [...device.oneTimeKeys.keys()].find((id) => id.startsWith(prefix));
          let claimed: [string, unknown] | undefined;
          if (otk !== undefined) {
            claimed = [otk, device.oneTimeKeys.get(otk)];
            device.oneTimeKeys.delete(otk);
          } else {
            const fallback = [...device.fallbackKeys.entries()].find(([id]) =>
              id.startsWith(prefix),
            );
            if (fallback !== undefined) claimed = fallback;
          }
          if (claimed === undefined) continue;
          const byUser = (result[userId] ??= {});
          byUser[deviceId] = { [claimed[0]]: claimed[1] };
        }
      }
      return ok({ one_time_keys: result, failures: {} });
    },
  },
  {
    method: 'GET',
    path: new RegExp(`^${v3}/keys/changes$`),
    endpoint: 'keys_changes',
    handle: (ctx) => {
      const from = parseToken(ctx.url.searchParams.get('from'), 0);
      const to = parseToken(ctx.url.searchParams.get('to'), ctx.hs.position);
      const changed = [...ctx.hs.keyChanges.entries()]
        .filter(([, at]) => at > from && at <= to)
        .map(([userId]) => userId);
      return ok({ changed, left: [] });
    },
  },
  {
    method: 'POST',
    path: new RegExp(`^${v3}/keys/device_signing/upload$`),
    endpoint: 'keys_signing',
    handle: (ctx) => {
      const signing = ctx.hs.crossSigning;
      const mine = { ...signing.get(ctx.device.userId) };
      for (const name of ['master_key', 'self_signing_key', 'user_signing_key']) {
        if (ctx.body[name] !== undefined) mine[name] = objectOf(ctx.body[name]);
      }
      signing.set(ctx.device.userId, mine);
      ctx.hs.keyChanges.set(ctx.device.userId, ctx.hs.advance());
      return ok({});
    },
  },
  {
    method: 'POST',
    path: new RegExp(`^${v3}/keys/signatures/upload$`),
    endpoint: 'keys_signing',
    handle: (ctx) => {
      // Merges the new signatures into the stored device keys, so others see them on query.
      for (const [userId, byKey] of Object.entries(ctx.body)) {
        for (const [keyId, signed] of Object.entries(objectOf(byKey))) {
          const device = ctx.hs.devicesOf(userId).find((d) => d.deviceId === keyId);
          const signatures = objectOf(objectOf(signed)['signatures']);
          if (device?.keys === undefined) continue;
          const merged = { ...objectOf(device.keys['signatures']) };
          for (const [signer, sigs] of Object.entries(signatures)) {
            merged[signer] = { ...objectOf(merged[signer]), ...objectOf(sigs) };
          }
          device.keys = { ...device.keys, signatures: merged };
          ctx.hs.keyChanges.set(userId, ctx.hs.advance());
        }
      }
      return ok({ failures: {} });
    },
  },
  {
    method: 'PUT',
    path: new RegExp(`^${v3}/sendToDevice/([^/]+)/([^/]+)$`),
    endpoint: 'send_to_device',
    handle: (ctx) => {
      const key = `${ctx.device.userId}|${ctx.device.deviceId}|PUT ${ctx.url.pathname}`;
      if (ctx.hs.transactions.has(key)) return ok({});
      const type = ctx.params[0] ?? '';
      for (const [userId, devices] of Object.entries(objectOf(ctx.body['messages']))) {
        for (const [deviceId, content] of Object.entries(objectOf(devices))) {
          const targets =
            deviceId === '*'
              ? ctx.hs.devicesOf(userId)
              : ctx.hs.devicesOf(userId).filter((d) => d.deviceId === deviceId);
          for (const target of targets) {
            ctx.hs.queueToDevice(userId, target.deviceId, {
              sender: ctx.device.userId,
              type,
              content: objectOf(content),
            });
          }
        }
      }
      ctx.hs.transactions.set(key, {});
      return ok({});
    },
  },
  {
    method: 'GET',
    path: new RegExp(`^${v3}/room_keys/version$`),
    endpoint: 'room_keys',
    handle: () => {
      throw notFound('No current backup version');
    },
  },
];
