// Runbook, job and schedule routes (spec §1.8), plus this port's `GET /api/ops/runbooks/{runbook}`,
// `GET /api/ops/jobs?runbookId=&scheduleId=&status=&limit=` and `POST /api/ops/jobs/{job}/cancel`. Bodies are
// decoded by src/server/ops/runbooks/validate.ts with Go's rules; semantics live in RunbookService.
import { Type } from "typebox";
import type {
  JobResponse,
  JobsResponse,
  RemovedResponse,
  RunbookResponse,
  RunbooksListResponse,
  RunStartedResponse,
  ScheduleResponse,
  SchedulesResponse,
} from "../../protocol/opsRunbooks.js";
import type { AppContext } from "../context.js";
import { RunbookError, type RunbookService } from "../ops/runbooks/service.js";
import { ApiError } from "./errors.js";
import { type ApiInstance, data } from "./types.js";

type Params<K extends string> = { Params: Record<K, string> };

/**
 * The create and update routes take a body, decoded by the handler with Go's rules (./ops/runbooks/validate.ts):
 * declared here so the route table says so. An empty one reaches the decoder as no body: "invalid json body".
 * The run, cancel and trigger routes take none (an empty body with any Content-Type is no body, ./jsonBody.ts).
 */
const decodedBody = { schema: { body: Type.Unknown() } };

async function mapped<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof RunbookError) throw new ApiError(error.status, error.code, error.message);
    if (error instanceof ApiError) throw error;
    throw new ApiError(500, "STORE_ERROR", (error as Error).message);
  }
}

export function registerOpsRunbookRoutes(api: ApiInstance, ctx: Pick<AppContext, "runbooks">): void {
  const runbooks: RunbookService = ctx.runbooks;

  api.get("/api/ops/runbooks", async () => {
    const body: RunbooksListResponse = await mapped(() => runbooks.list());
    return data(body);
  });

  api.post("/api/ops/runbooks", decodedBody, async (request, reply) => {
    const runbook = await mapped(() => runbooks.create(request.body));
    request.log.info({ runbook: runbook.id }, "runbook created");
    const body: RunbookResponse = { runbook };
    return reply.code(201).send(data(body));
  });

  api.get<Params<"runbook">>("/api/ops/runbooks/:runbook", async (request) => {
    const body: RunbookResponse = { runbook: await mapped(() => runbooks.get(request.params.runbook)) };
    return data(body);
  });

  api.put<Params<"runbook">>("/api/ops/runbooks/:runbook", decodedBody, async (request) => {
    const runbook = await mapped(() => runbooks.update(request.params.runbook, request.body));
    request.log.info({ runbook: runbook.id }, "runbook updated");
    const body: RunbookResponse = { runbook };
    return data(body);
  });

  api.delete<Params<"runbook">>("/api/ops/runbooks/:runbook", async (request) => {
    const id = request.params.runbook;
    await mapped(() => runbooks.delete(id));
    request.log.info({ runbook: id }, "runbook deleted");
    const body: RemovedResponse = { removed: id };
    return data(body);
  });

  api.post<Params<"runbook">>("/api/ops/runbooks/:runbook/run", async (request, reply) => {
    const started = await mapped(() => runbooks.run(request.params.runbook));
    request.log.info({ runbook: request.params.runbook, job: started.job.id }, "runbook run started");
    const body: RunStartedResponse = started;
    return reply.code(202).send(data(body));
  });

  api.get("/api/ops/jobs", async (request) => {
    const query = (request.query ?? {}) as Record<string, unknown>;
    const body: JobsResponse = { jobs: await mapped(() => runbooks.jobs(query)) };
    return data(body);
  });

  api.get<Params<"job">>("/api/ops/jobs/:job", async (request) => {
    const body: JobResponse = { job: await mapped(() => runbooks.job(request.params.job)) };
    return data(body);
  });

  api.post<Params<"job">>("/api/ops/jobs/:job/cancel", async (request) => {
    const job = await mapped(() => runbooks.cancelJob(request.params.job));
    request.log.info({ job: job.id }, "runbook job cancelled");
    const body: JobResponse = { job };
    return data(body);
  });

  api.delete<Params<"job">>("/api/ops/jobs/:job", async (request) => {
    await mapped(() => runbooks.deleteJob(request.params.job));
    return data({ deleted: true });
  });

  api.get("/api/ops/schedules", async () => {
    const body: SchedulesResponse = { schedules: await mapped(() => runbooks.schedules()) };
    return data(body);
  });

  api.post("/api/ops/schedules", decodedBody, async (request, reply) => {
    const schedule = await mapped(() => runbooks.createSchedule(request.body));
    request.log.info({ schedule: schedule.id, runbook: schedule.runbookId }, "schedule created");
    const body: ScheduleResponse = { schedule };
    return reply.code(201).send(data(body));
  });

  api.put<Params<"schedule">>("/api/ops/schedules/:schedule", decodedBody, async (request) => {
    const schedule = await mapped(() => runbooks.updateSchedule(request.params.schedule, request.body));
    request.log.info({ schedule: schedule.id }, "schedule updated");
    const body: ScheduleResponse = { schedule };
    return data(body);
  });

  api.delete<Params<"schedule">>("/api/ops/schedules/:schedule", async (request) => {
    const id = request.params.schedule;
    await mapped(() => runbooks.deleteSchedule(id));
    request.log.info({ schedule: id }, "schedule deleted");
    const body: RemovedResponse = { removed: id };
    return data(body);
  });

  api.post<Params<"schedule">>("/api/ops/schedules/:schedule/trigger", async (request, reply) => {
    const job = await mapped(() => runbooks.triggerSchedule(request.params.schedule));
    request.log.info({ schedule: request.params.schedule, job: job.id }, "schedule triggered");
    const body: JobResponse = { job };
    return reply.code(202).send(data(body));
  });
}
