// Recovery routes (spec §1.10, §7): overview, killed sessions, archive, snapshots, restore jobs. Every route
// answers 503 RECOVERY_DISABLED while recovery is off; the restore body is optional (empty means defaults).
import type { Readable } from "node:stream";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import {
  normalizeConflictPolicy,
  normalizeRestoreMode,
  RecoveryErrorCode,
  type RecoveryJobResponse,
  RecoveryMessages,
  type RecoveryOverviewResponse,
  type RecoverySessionsResponse,
  type RecoverySnapshotResponse,
  type RecoverySnapshotsResponse,
  snapshotLimit,
} from "../../protocol/recovery.js";
import { Routes } from "../../protocol/routes.js";
import {
  JobParams,
  RecoverySessionParams,
  RestoreBody,
  SnapshotParams,
} from "../../protocol/schemas/recovery.js";
import { isSessionName } from "../../protocol/validate.js";
import type { AppContext } from "../context.js";
import { DomainError, invalidRequest } from "../errors.js";
import { parseStrictJson, readBody } from "./jsonBody.js";
import { sessionParam } from "./params.js";
import { type ApiInstance, data } from "./types.js";

const storeError = (error: unknown) =>
  new DomainError(RecoveryErrorCode.Error, `${RecoveryMessages.storeError}: ${(error as Error).message}`);

/** Store reads fail as 500 RECOVERY_ERROR (§0.7). */
function read<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof DomainError) throw error;
    throw storeError(error);
  }
}

/** A positive integer (§1.10), or 400. */
export function snapshotIdParam(value: string): number {
  if (!/^\d+$/.test(value)) throw invalidRequest(RecoveryMessages.invalidSnapshotId);
  const id = Number(value);
  if (!Number.isSafeInteger(id) || id <= 0) throw invalidRequest(RecoveryMessages.invalidSnapshotId);
  return id;
}

export function registerRecoveryRoutes(api: ApiInstance, ctx: AppContext): void {
  api.register(async (plugin) => {
    const scope = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const recovery = ctx.recovery;
    scope.addHook("onRequest", async () => {
      if (!recovery.enabled) throw new DomainError(RecoveryErrorCode.Disabled, RecoveryMessages.disabled);
    });
    // decodeOptionalJSON (§0.3): an empty or whitespace-only body is no body; anything else is strict JSON.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (request, payload, done) => {
      readBody(payload as Readable, request.headers["content-length"]).then(
        (text) => {
          if (!text.trim()) return done(null, {});
          try {
            done(null, parseStrictJson(text));
          } catch (error) {
            done(error as Error, undefined);
          }
        },
        (error: Error) => done(error, undefined),
      );
    });

    scope.get(Routes.recoveryOverview.path, async () => {
      const overview = await recovery.overview().catch((error) => {
        throw storeError(error);
      });
      const body: RecoveryOverviewResponse = { overview };
      return data(body);
    });

    scope.get(Routes.recoverySessions.path, async () => {
      const body: RecoverySessionsResponse = { sessions: read(() => recovery.killedSessions()) };
      return data(body);
    });

    scope.post(
      "/api/recovery/sessions/:session/archive",
      { schema: { params: RecoverySessionParams } },
      async (request, reply) => {
        const session = sessionParam(request.params.session);
        read(() => recovery.archive(session));
        request.log.info({ session }, "recovery session archived");
        return reply.code(204).send();
      },
    );

    scope.get(
      Routes.recoverySnapshots.path,
      { schema: { params: RecoverySessionParams } },
      async (request) => {
        const session = sessionParam(request.params.session);
        const limit = snapshotLimit((request.query as Record<string, unknown> | undefined)?.limit);
        const body: RecoverySnapshotsResponse = { snapshots: read(() => recovery.snapshots(session, limit)) };
        return data(body);
      },
    );

    scope.get(
      "/api/recovery/snapshots/:snapshot",
      { schema: { params: SnapshotParams } },
      async (request) => {
        const id = snapshotIdParam(request.params.snapshot);
        const snapshot = read(() => recovery.snapshot(id));
        if (!snapshot) {
          throw new DomainError(RecoveryErrorCode.SnapshotNotFound, RecoveryMessages.snapshotNotFound);
        }
        const body: RecoverySnapshotResponse = { snapshot };
        return data(body);
      },
    );

    scope.post(
      Routes.restoreSnapshot.path,
      {
        schema: { params: SnapshotParams, body: RestoreBody },
        // The id is checked before the body is read (§0.7 order); no body at all is an empty one.
        preParsing: async (request) => {
          snapshotIdParam(String((request.params as { snapshot?: unknown }).snapshot ?? ""));
        },
        preValidation: async (request) => {
          if (request.body === undefined || request.body === null) request.body = {};
        },
      },
      async (request, reply) => {
        const id = snapshotIdParam(request.params.snapshot);
        const body = request.body ?? {};
        const targetSession = (body.targetSession ?? "").trim();
        if (targetSession && !isSessionName(targetSession))
          throw invalidRequest(RecoveryMessages.targetSession);
        let job: RecoveryJobResponse["job"];
        try {
          job = recovery.startRestore(id, {
            mode: normalizeRestoreMode(body.mode),
            conflictPolicy: normalizeConflictPolicy(body.conflictPolicy),
            targetSession,
          });
        } catch (error) {
          if (error instanceof DomainError) throw error;
          throw new DomainError(
            RecoveryErrorCode.RestoreFailed,
            `${RecoveryMessages.restoreFailed}: ${(error as Error).message}`,
          );
        }
        request.log.info(
          {
            job: job.id,
            snapshot: id,
            target: job.targetSession,
            mode: job.mode,
            policy: job.conflictPolicy,
          },
          "recovery restore queued",
        );
        const response: RecoveryJobResponse = { job };
        return reply.code(202).send(data(response));
      },
    );

    scope.get(Routes.recoveryJob.path, { schema: { params: JobParams } }, async (request) => {
      const job = read(() => recovery.job(request.params.job));
      if (!job) throw new DomainError(RecoveryErrorCode.JobNotFound, RecoveryMessages.jobNotFound);
      const body: RecoveryJobResponse = { job };
      return data(body);
    });
  });
}
