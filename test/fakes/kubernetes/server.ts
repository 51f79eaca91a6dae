/**
 * The HTTP side of the fake API server: authentication (a bearer token, 401 otherwise),
 * authorization from the rule set (403), discovery, and the verbs of "API Concepts"
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/): get, list (labelSelector,
 * fieldSelector), watch, create, update, patch (four content types, 415 for any other),
 * delete, dryRun=All, the scale and status subresources, and SelfSubjectAccessReview.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { isAllowed, forbidden, reviewAccess, type Rule } from './access.ts';
import type { Clock } from './clock.ts';
import { SERVER_VERSION, apiGroup, apiGroupList, apiVersions, resourceList } from './discovery.ts';
import { at, isObject, str, type Json, type JsonObject } from './json.ts';
import { recordUpdate, serverSideApply } from './managed-fields.ts';
import { metadataOfList, metadataOfObject } from './metadata.ts';
import {
  APPLY_PATCH,
  JSON_PATCH,
  MERGE_PATCH,
  PATCH_TYPES,
  STRATEGIC_PATCH,
  applyJsonPatch,
  applyMergePatch,
  strategicMerge,
} from './patch.ts';
import type { Kubelet } from './kubelet.ts';
import { podLog } from './logs.ts';
import { decodeSelfSubjectAccessReview } from './protobuf.ts';
import { openApiDocument, openApiIndex } from './openapi.ts';
import { apiVersionOf } from './resources.ts';
import { parseResourcePath, verbOf, type Target } from './routes.ts';
import { scaleOf, withScale } from './scale.ts';
import { labelsOf, parseFieldSelector, parseLabelSelector } from './selectors.ts';
import {
  ApiError,
  badRequest,
  invalid,
  methodNotAllowed,
  pageNotFound,
  preconditionFailed,
  successStatus,
  unauthorized,
  unsupportedMediaType,
} from './status.ts';
import type { ObjectStore } from './store.ts';
import { toTable, wantsTable } from './table.ts';
import { serveWatch } from './watch.ts';

export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly contentType: string;
  readonly body: string;
  readonly status: number;
}

export interface ServerSettings {
  readonly store: ObjectStore;
  readonly clock: Clock;
  /** A token the server accepts; undefined accepts any request. */
  token: string | undefined;
  readonly user: string;
  rules: readonly Rule[];
  readonly bookmarkIntervalMs: number;
  /** Serves pods/log. */
  readonly kubelet: Kubelet | undefined;
}

interface Ctx {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly body: Buffer;
}

const BODY_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

function send(res: ServerResponse, status: number, body: Json): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function parseBody(ctx: Ctx, yaml: boolean): Json {
  const text = ctx.body.toString('utf8');
  try {
    return yaml ? (parseYaml(text) as Json) : (JSON.parse(text) as Json);
  } catch (e) {
    throw badRequest(`the object provided is unrecognized: ${(e as Error).message}`);
  }
}

function bodyObject(ctx: Ctx): JsonObject {
  const type = mediaType(ctx.req);
  if (type !== 'application/json' && type !== 'application/yaml' && type !== '')
    throw unsupportedMediaType(BODY_TYPES);
  const body = parseBody(ctx, type === 'application/yaml');
  if (!isObject(body)) throw badRequest('the body of the request is not a JSON object');
  return body;
}

export class ApiHandler {
  readonly settings: ServerSettings;
  readonly requests: RequestRecord[] = [];
  readonly #watches = new Set<() => void>();

  constructor(settings: ServerSettings) {
    this.settings = settings;
  }

  /** Cuts every open watch, as a dropped connection or an API server restart would. */
  cutWatches(): void {
    for (const end of [...this.#watches]) end();
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const ctx: Ctx = { req, res, url, body: Buffer.concat(chunks) };
      try {
        this.#serve(ctx);
      } catch (e) {
        const err =
          e instanceof ApiError
            ? e
            : new ApiError(
                500,
                'InternalError',
                `Internal error occurred: ${(e as Error).message}`,
              );
        if (!res.headersSent) send(res, err.code, err.toStatus());
        else res.end();
      }
      const record = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.search,
        contentType: mediaType(req),
        body: ctx.body.toString('utf8'),
      };
      // In order of arrival; the status is read once the answer is complete.
      const index = this.requests.length;
      this.requests.push({ ...record, status: 0 });
      res.on('finish', () => {
        this.requests[index] = { ...record, status: res.statusCode };
      });
    });
  }

  #serve(ctx: Ctx): void {
    const { req, res, url } = ctx;
    const s = this.settings;
    if (s.token !== undefined && req.headers.authorization !== `Bearer ${s.token}`)
      throw unauthorized();
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const plain = this.#discovery(path);
    if (plain !== undefined) {
      if (req.method !== 'GET') throw methodNotAllowed();
      send(res, 200, plain);
      return;
    }
    const target = parseResourcePath(path);
    if (target === undefined) throw pageNotFound();
    const q = url.searchParams;
    const watch = q.get('watch') === '1' || q.get('watch') === 'true';
    const verb = verbOf(req.method ?? 'GET', target, watch);
    if (!target.resource.verbs.includes(verb) && target.subresource === '')
      throw methodNotAllowed();
    const dryRun = q.getAll('dryRun');
    if (dryRun.some((d) => d !== 'All'))
      throw badRequest(`Invalid dryRun value: ${dryRun.join(',')}`);
    if (target.resource.kind === 'SelfSubjectAccessReview') {
      const review =
        mediaType(req) === 'application/vnd.kubernetes.protobuf'
          ? decodeSelfSubjectAccessReview(ctx.body)
          : bodyObject(ctx);
      send(res, 201, reviewAccess(s.rules, review));
      return;
    }
    const attrs = {
      verb,
      group: target.resource.group,
      resource: target.resource.resource,
      subresource: target.subresource,
      namespace: target.namespace,
      name: target.name,
    };
    if (!isAllowed(s.rules, attrs)) throw forbidden(s.user, attrs);
    if (target.resource.namespaced && !target.namespaced && verb !== 'list' && verb !== 'watch') {
      throw pageNotFound();
    }
    const options = { dryRun: dryRun.length > 0 };
    const manager =
      q.get('fieldManager') ?? (req.headers['user-agent'] ?? 'unknown').split('/')[0] ?? 'unknown';
    switch (verb) {
      case 'list':
      case 'watch':
        this.#list(ctx, target, watch);
        return;
      case 'get':
        this.#get(ctx, target);
        return;
      case 'create':
        this.#create(ctx, target, options.dryRun, manager);
        return;
      case 'update':
        this.#update(ctx, target, options.dryRun, manager);
        return;
      case 'patch':
        this.#patch(ctx, target, options.dryRun, manager);
        return;
      case 'delete':
        this.#delete(ctx, target, options.dryRun);
        return;
      default:
        throw methodNotAllowed();
    }
  }

  #discovery(path: string): Json | undefined {
    if (path === '/version') return SERVER_VERSION;
    if (path === '/api') return apiVersions();
    if (path === '/apis') return apiGroupList();
    if (path === '/api/v1') return resourceList('', 'v1');
    if (path === '/openapi/v3') return openApiIndex();
    if (path.startsWith('/openapi/v3/')) {
      const doc = openApiDocument(path);
      if (doc === undefined) throw pageNotFound();
      return doc;
    }
    const group = /^\/apis\/([^/]+)$/.exec(path);
    if (group !== null) {
      const g = apiGroup(group[1] ?? '');
      if (g === undefined) throw pageNotFound();
      return g;
    }
    const gv = /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
    if (gv !== null) {
      const list = resourceList(gv[1] ?? '', gv[2] ?? '');
      if (list === undefined) throw pageNotFound();
      return list;
    }
    return undefined;
  }

  #list(ctx: Ctx, t: Target, watch: boolean): void {
    const q = ctx.url.searchParams;
    const labels = parseLabelSelector(q.get('labelSelector') ?? '');
    const fields = parseFieldSelector(q.get('fieldSelector') ?? '');
    const namespace = t.namespaced ? t.namespace : undefined;
    const nameMatch = (o: JsonObject): boolean =>
      t.name === '' || at(o, 'metadata', 'name') === t.name;
    const matches = (o: JsonObject): boolean => nameMatch(o) && labels(labelsOf(o)) && fields(o);
    const store = this.settings.store;
    if (watch) {
      const timeout = Number(q.get('timeoutSeconds') ?? '1800');
      const end = serveWatch(ctx.res, store, {
        resource: t.resource,
        namespace,
        matches,
        resourceVersion: q.get('resourceVersion') ?? '',
        bookmarks: q.get('allowWatchBookmarks') === 'true',
        bookmarkIntervalMs: this.settings.bookmarkIntervalMs,
        timeoutMs: (Number.isFinite(timeout) ? timeout : 1800) * 1000,
      });
      this.#watches.add(end);
      ctx.res.on('close', () => this.#watches.delete(end));
      return;
    }
    const rv = q.get('resourceVersion');
    // resourceVersion semantics of a list (api-concepts, "Semantics for get and list"): an
    // rv with NotOlderThan (the default) is served from the newest state; only an Exact
    // request for a compacted rv is 410 Gone.
    const exact = q.get('resourceVersionMatch') === 'Exact';
    if (exact && rv !== null && rv !== '' && Number(rv) < store.oldestResourceVersion - 1) {
      throw store.expiredError(Number(rv));
    }
    const items = store.list(t.resource, namespace).filter(matches);
    const version = String(store.resourceVersion);
    if (wantsTable(ctx.req.headers.accept)) {
      send(ctx.res, 200, toTable(t.resource, items, version, this.settings.clock.now()));
      return;
    }
    const metadata = metadataOfList(ctx.req.headers.accept, items, version);
    if (metadata !== undefined) {
      send(ctx.res, 200, metadata);
      return;
    }
    send(ctx.res, 200, {
      kind: `${t.resource.kind}List`,
      apiVersion: apiVersionOf(t.resource),
      metadata: { resourceVersion: version },
      items,
    });
  }

  #get(ctx: Ctx, t: Target): void {
    const o = this.settings.store.mustGet(t.resource, t.namespace, t.name);
    if (t.subresource === 'scale') {
      send(ctx.res, 200, scaleOf(o));
      return;
    }
    if (t.subresource === 'exec') {
      throw new ApiError(
        400,
        'BadRequest',
        'exec is not served until a kubelet that runs processes is plugged in',
      );
    }
    if (t.subresource === 'log') {
      const res = ctx.res;
      podLog(this.settings.kubelet, o, ctx.url.searchParams).then(
        (text) => {
          res.writeHead(200, {
            'Content-Type': 'text/plain',
            'Content-Length': Buffer.byteLength(text),
          });
          res.end(text);
        },
        (e: unknown) => {
          const err = e instanceof ApiError ? e : new ApiError(500, 'InternalError', String(e));
          send(res, err.code, err.toStatus());
        },
      );
      return;
    }
    if (wantsTable(ctx.req.headers.accept)) {
      send(
        ctx.res,
        200,
        toTable(
          t.resource,
          [o],
          String(this.settings.store.resourceVersion),
          this.settings.clock.now(),
        ),
      );
      return;
    }
    send(ctx.res, 200, metadataOfObject(ctx.req.headers.accept, o) ?? o);
  }

  #create(ctx: Ctx, t: Target, dryRun: boolean, manager: string): void {
    if (t.name !== '' || t.subresource !== '') throw methodNotAllowed();
    const body = bodyObject(ctx);
    const want = apiVersionOf(t.resource);
    if (
      (body.kind !== undefined && body.kind !== t.resource.kind) ||
      (body.apiVersion !== undefined && body.apiVersion !== want)
    ) {
      throw badRequest(
        `the API version in the data (${str(body.apiVersion) ?? ''}) does not match the expected API version (${want})`,
      );
    }
    body.apiVersion = want;
    body.kind = t.resource.kind;
    recordUpdate(undefined, body, manager, '', this.settings.clock.now());
    send(ctx.res, 201, this.settings.store.create(t.resource, t.namespace, body, { dryRun }));
  }

  #update(ctx: Ctx, t: Target, dryRun: boolean, manager: string): void {
    const store = this.settings.store;
    const body = bodyObject(ctx);
    const existing = store.mustGet(t.resource, t.namespace, t.name);
    if (t.subresource === 'scale') {
      const updated = store.update(t.resource, t.namespace, t.name, withScale(existing, body), {
        dryRun,
      });
      send(ctx.res, 200, scaleOf(updated));
      return;
    }
    if (t.subresource !== '' && t.subresource !== 'status') throw methodNotAllowed();
    body.apiVersion = apiVersionOf(t.resource);
    body.kind = t.resource.kind;
    recordUpdate(existing, body, manager, t.subresource, this.settings.clock.now());
    send(
      ctx.res,
      200,
      store.update(t.resource, t.namespace, t.name, body, {
        dryRun,
        status: t.subresource === 'status',
      }),
    );
  }

  #patch(ctx: Ctx, t: Target, dryRun: boolean, manager: string): void {
    const store = this.settings.store;
    const type = mediaType(ctx.req);
    if (!(PATCH_TYPES as readonly string[]).includes(type)) throw unsupportedMediaType(PATCH_TYPES);
    const q = ctx.url.searchParams;
    if (type === APPLY_PATCH) {
      if (t.subresource !== '')
        throw unsupportedMediaType([JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH]);
      const fieldManager = q.get('fieldManager') ?? '';
      if (fieldManager === '') {
        throw invalid('meta.k8s.io', 'PatchOptions', '', [
          {
            reason: 'FieldValueRequired',
            message: 'Required value: is required for apply patch',
            field: 'fieldManager',
          },
        ]);
      }
      const applied = parseBody(ctx, true);
      if (!isObject(applied)) throw badRequest('the applied configuration is not an object');
      const name = str(at(applied, 'metadata', 'name')) ?? '';
      if (name !== t.name)
        throw badRequest(
          `the name of the object (${name}) does not match the name on the URL (${t.name})`,
        );
      if (applied.kind !== t.resource.kind || applied.apiVersion !== apiVersionOf(t.resource)) {
        throw badRequest(
          `apiVersion and kind of the applied configuration must be ${apiVersionOf(t.resource)} ${t.resource.kind}`,
        );
      }
      const live = store.get(t.resource, t.namespace, t.name);
      // An apply that creates is authorized as create too (API concepts, "Patch and apply":
      // https://kubernetes.io/docs/reference/using-api/api-concepts/#patch-and-apply ).
      const createAttrs = {
        verb: 'create',
        group: t.resource.group,
        resource: t.resource.resource,
        subresource: '',
        namespace: t.namespace,
        name: t.name,
      };
      if (live === undefined && !isAllowed(this.settings.rules, createAttrs)) {
        throw forbidden(this.settings.user, createAttrs);
      }
      const merged = serverSideApply(
        live,
        applied,
        fieldManager,
        q.get('force') === 'true',
        this.settings.clock.now(),
      );
      if (live === undefined)
        send(ctx.res, 201, store.create(t.resource, t.namespace, merged, { dryRun }));
      else send(ctx.res, 200, store.update(t.resource, t.namespace, t.name, merged, { dryRun }));
      return;
    }
    const patch = parseBody(ctx, false);
    const apply = (target: JsonObject): JsonObject => {
      if (type === JSON_PATCH) return applyJsonPatch(target, patch);
      const merged =
        type === MERGE_PATCH ? applyMergePatch(target, patch) : strategicMerge(target, patch);
      if (!isObject(merged))
        throw badRequest('the patch made the object something other than an object');
      return merged;
    };
    const existing = store.mustGet(t.resource, t.namespace, t.name);
    if (t.subresource === 'scale') {
      const patched = apply(scaleOf(existing));
      const updated = store.update(t.resource, t.namespace, t.name, withScale(existing, patched), {
        dryRun,
      });
      send(ctx.res, 200, scaleOf(updated));
      return;
    }
    if (t.subresource !== '' && t.subresource !== 'status') throw methodNotAllowed();
    const patched = apply(existing);
    recordUpdate(existing, patched, manager, t.subresource, this.settings.clock.now());
    send(
      ctx.res,
      200,
      store.update(t.resource, t.namespace, t.name, patched, {
        dryRun,
        status: t.subresource === 'status',
      }),
    );
  }

  #delete(ctx: Ctx, t: Target, dryRun: boolean): void {
    if (t.subresource !== '') throw methodNotAllowed();
    this.#checkPreconditions(ctx, t);
    const gone = this.settings.store.delete(t.resource, t.namespace, t.name, { dryRun });
    if (t.resource.kind === 'Pod') {
      send(ctx.res, 200, gone);
      return;
    }
    send(
      ctx.res,
      200,
      successStatus(
        t.resource.group,
        t.resource.resource,
        t.name,
        str(at(gone, 'metadata', 'uid')) ?? '',
      ),
    );
  }

  /**
   * DeleteOptions.preconditions (API reference, meta/v1 Preconditions: uid, resourceVersion):
   * the object is deleted only if it still has them; otherwise 409 with the storage's words.
   */
  #checkPreconditions(ctx: Ctx, t: Target): void {
    if (ctx.body.length === 0) return;
    const options = bodyObject(ctx);
    const wanted = at(options, 'preconditions');
    if (!isObject(wanted)) return;
    const live = this.settings.store.mustGet(t.resource, t.namespace, t.name);
    const uid = str(wanted.uid);
    const liveUid = str(at(live, 'metadata', 'uid')) ?? '';
    if (uid !== undefined && uid !== liveUid) {
      throw preconditionFailed(
        t.resource.group,
        t.resource.resource,
        t.name,
        `UID in precondition: ${uid}, UID in object meta: ${liveUid}`,
      );
    }
    const version = str(wanted.resourceVersion);
    const liveVersion = str(at(live, 'metadata', 'resourceVersion')) ?? '';
    if (version !== undefined && version !== liveVersion) {
      throw preconditionFailed(
        t.resource.group,
        t.resource.resource,
        t.name,
        `ResourceVersion in precondition: ${version}, ResourceVersion in object meta: ${liveVersion}`,
      );
    }
  }
}
