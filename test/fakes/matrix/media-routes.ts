/**
 * The content repository (https://spec.matrix.org/v1.13/client-server-api/#content-repository):
 * #post_matrixmediav3upload (raw body, `Content-Type`, `?filename=`; answers `content_uri`
 * `mxc://serverName/mediaId`), the authenticated download of v1.11
 * (#get_matrixclientv1mediadownloadservernamemediaid) and its deprecated unauthenticated v3
 * twin, and the upload limit (#get_matrixclientv1mediaconfig, `m.upload.size`).
 */
import { MatrixHttpError, notFound } from './errors.ts';
import { ok, type Reply, type RequestContext, type Route } from './http.ts';

export const uploadLimit = 50 * 1024 * 1024;

function download(ctx: RequestContext): Reply {
  const [serverName = '', mediaId = ''] = ctx.params;
  const media = serverName === ctx.hs.serverName ? ctx.hs.media.get(mediaId) : undefined;
  if (media === undefined) throw notFound('Media not found');
  const disposition =
    media.filename === undefined
      ? 'attachment'
      : `attachment; filename*=utf-8''${encodeURIComponent(media.filename)}`;
  return {
    status: 200,
    bytes: media.body,
    headers: { 'content-type': media.contentType, 'content-disposition': disposition },
  };
}

export const mediaRoutes: readonly Route[] = [
  {
    method: 'POST',
    path: /^\/_matrix\/media\/(?:v3|r0)\/upload$/,
    endpoint: 'media_upload',
    raw: true,
    handle: (ctx) => {
      if (ctx.raw.length > uploadLimit) {
        throw new MatrixHttpError(413, 'M_TOO_LARGE', 'Cannot upload files larger than 50 MiB');
      }
      const id = ctx.hs.newMediaId();
      ctx.hs.media.set(id, {
        contentType: ctx.req.headers['content-type'] ?? 'application/octet-stream',
        filename: ctx.url.searchParams.get('filename') ?? undefined,
        body: ctx.raw,
      });
      return ok({ content_uri: `mxc://${ctx.hs.serverName}/${id}` });
    },
  },
  {
    method: 'GET',
    path: /^\/_matrix\/client\/v1\/media\/download\/([^/]+)\/([^/]+)(?:\/[^/]+)?$/,
    endpoint: 'media_download',
    handle: download,
  },
  {
    method: 'GET',
    path: /^\/_matrix\/media\/v3\/download\/([^/]+)\/([^/]+)(?:\/[^/]+)?$/,
    endpoint: 'media_download',
    auth: false,
    handle: download,
  },
  {
    method: 'GET',
    path: /^\/_matrix\/(?:client\/v1\/media|media\/v3)\/config$/,
    endpoint: 'media_config',
    handle: () => ok({ 'm.upload.size': uploadLimit }),
  },
];
