// The profiles kept, and each one three ways: in the flame-graph viewer the collector serves
// (speedscope), as Chrome DevTools' file, and as pprof.
import {
  type CpuProfile,
  cpuProfileToPprof,
  type HeapProfile,
  heapProfileToPprof,
} from '@fos/fastify-profiler';
import { sendError } from '@fos/service-kit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Target } from '../collector.ts';
import { functionLocation } from '../metrics.ts';
import { PROFILE_ID, type ProfileRecord, type ProfileStore } from '../store.ts';

export interface ProfilesRoutesOptions {
  store: ProfileStore;
  targets: () => Target[];
  /** Where the people an alert reaches open these links. */
  publicUrl: string;
}

/** The paths of a profile under the collector: the alerts link to them (alertmanager/templates). */
export function profilePaths(record: Pick<ProfileRecord, 'id' | 'type'>) {
  const base = `/profiles/${record.id}`;
  return {
    view: `${base}/view`,
    devtools: `${base}/profile.${record.type === 'cpu' ? 'cpuprofile' : 'heapprofile'}`,
    pprof: `${base}/profile.pb.gz`,
  };
}

const withLinks = (record: ProfileRecord, publicUrl: string) => {
  const paths = profilePaths(record);
  return {
    ...record,
    topFunctions: record.top.map((f) => ({ ...f, location: functionLocation(f) })),
    links: {
      view: `${publicUrl}${paths.view}`,
      devtools: `${publicUrl}${paths.devtools}`,
      pprof: `${publicUrl}${paths.pprof}`,
    },
  };
};

type ById = FastifyRequest<{ Params: { id: string } }>;

export async function profilesRoutes(app: FastifyInstance, options: ProfilesRoutesOptions): Promise<void> {
  const { store, publicUrl } = options;
  const idParams = {
    type: 'object',
    properties: { id: { type: 'string', pattern: PROFILE_ID.source } },
    required: ['id'],
  } as const;
  const find = (request: ById, reply: FastifyReply): ProfileRecord | undefined => {
    const record = store.get(request.params.id);
    if (!record) {
      sendError(
        {
          statusCode: 404,
          code: 'PROFILE_NOT_FOUND',
          message: `no profile ${request.params.id} (dropped, or never taken)`,
        },
        request,
        reply,
      );
    }
    return record;
  };
  const body = async (request: ById, reply: FastifyReply, record: ProfileRecord) => {
    const data = await store.body(record.id);
    if (!data) {
      sendError(
        {
          statusCode: 404,
          code: 'PROFILE_NOT_FOUND',
          message: `profile ${record.id} was dropped from the store`,
        },
        request,
        reply,
      );
    }
    return data;
  };

  app.get(
    '/profiles',
    {
      schema: {
        summary: 'The profiles kept (newest first), the store, and what each active alert has',
        tags: ['profiles'],
      },
    },
    async () => ({
      store: { ...store.size, ...store.bounds },
      targets: options.targets(),
      profiles: store.list().map((record) => withLinks(record, publicUrl)),
    }),
  );

  app.get(
    '/profiles/:id',
    { schema: { summary: 'One profile: its record and links', tags: ['profiles'], params: idParams } },
    async (request: ById, reply) => {
      const record = find(request, reply);
      return record ? withLinks(record, publicUrl) : reply;
    },
  );

  app.get(
    '/profiles/:id/view',
    {
      schema: {
        summary: 'The profile in the flame-graph viewer (speedscope)',
        tags: ['profiles'],
        params: idParams,
      },
    },
    async (request: ById, reply) => {
      const record = find(request, reply);
      if (!record) return reply;
      const title = `${record.type} profile of ${record.job} ${record.instance} at ${record.capturedAt}`;
      // Left heavy: the same stacks merged, widest first, where the time went at a glance.
      const hash = new URLSearchParams({
        profileURL: profilePaths(record).devtools,
        title,
        view: 'left-heavy',
      });
      return reply.redirect(`/viewer/#${hash.toString().replace(/\+/g, '%20')}`);
    },
  );

  for (const extension of ['cpuprofile', 'heapprofile'] as const) {
    app.get(
      `/profiles/:id/profile.${extension}`,
      {
        schema: {
          summary: `The profile as Chrome DevTools opens it (.${extension})`,
          tags: ['profiles'],
          params: idParams,
        },
      },
      async (request: ById, reply) => {
        const record = find(request, reply);
        if (!record) return reply;
        if (profilePaths(record).devtools !== request.url.split('?')[0]) {
          return sendError(
            {
              statusCode: 404,
              code: 'PROFILE_NOT_FOUND',
              message: `profile ${record.id} is a ${record.type} profile: ${profilePaths(record).devtools}`,
            },
            request,
            reply,
          );
        }
        const data = await body(request, reply, record);
        if (!data) return reply;
        return reply
          .type('application/json')
          .header('content-disposition', `attachment; filename="${record.id}.${extension}"`)
          .send(data);
      },
    );
  }

  app.get(
    '/profiles/:id/profile.pb.gz',
    {
      schema: {
        summary: "The profile as pprof's gzipped protocol buffer (go tool pprof)",
        tags: ['profiles'],
        params: idParams,
      },
    },
    async (request: ById, reply) => {
      const record = find(request, reply);
      if (!record) return reply;
      const data = await body(request, reply, record);
      if (!data) return reply;
      const profile = JSON.parse(data.toString('utf8')) as CpuProfile | HeapProfile;
      const cwd = record.workingDirectory || '/';
      const pprof =
        record.type === 'cpu'
          ? cpuProfileToPprof(profile as CpuProfile, cwd)
          : heapProfileToPprof(profile as HeapProfile, cwd);
      return reply
        .type('application/octet-stream')
        .header('content-disposition', `attachment; filename="${record.id}.pb.gz"`)
        .send(pprof);
    },
  );
}
