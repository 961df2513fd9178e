import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Lists answered with a bare array keep that shape and name their next page in an RFC 8288
 * `Link` header: the same query, continued `after` the cursor.
 */
export function linkNextPage(request: FastifyRequest, reply: FastifyReply, next: string | null) {
  if (next === null) {
    return;
  }
  const url = new URL(request.url, 'http://portcullis.invalid');
  for (const superseded of ['after', 'before', 'offset']) {
    url.searchParams.delete(superseded);
  }
  url.searchParams.set('after', next);
  void reply.header('Link', `<${url.pathname}${url.search}>; rel="next"`);
}

/** The header as the OpenAPI document describes it. */
export const NEXT_PAGE_LINK = {
  Link: {
    description: 'RFC 8288 `<url>; rel="next"` when there is a next page',
    schema: { type: 'string' },
  },
};
