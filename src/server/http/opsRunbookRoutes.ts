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
import { Routes } from "../../protocol/routes.js";
import type { AppContext } from "../context.js";
import type { RunbookService } from "../ops/runbooks/service.js";
import { storeCall } from "./opsRoutes.js";
import { type ApiInstance, data } from "./types.js";

type Params<K extends string> = { Params: Record<K, string> };

/**
 * The create and update routes take a body, decoded by the handler with Go's rules (./ops/runbooks/validate.ts):
 * declared here so the route table says so. An empty one reaches the decoder as no body: "invalid json body".
 * The run, cancel and trigger routes take none (an empty body with any Content-Type is no body, ./jsonBody.ts).
 */
const decodedBody = { schema: { body: Type.Unknown() } };

export function registerOpsRunbookRoutes(api: ApiInstance, ctx: Pick<AppContext, "runbooks">): void {
  const runbooks: RunbookService = ctx.runbooks;

  api.get(Routes.runbooks.path, async () => {
    const body: RunbooksListResponse = await storeCall(() => runbooks.list());
    return data(body);
  });

  api.post("/api/ops/runbooks", decodedBody, async (request, reply) => {
    const runbook = await storeCall(() => runbooks.create(request.body));
    request.log.info({ runbook: runbook.id }, "runbook created");
    const body: RunbookResponse = { runbook };
    return reply.code(201).send(data(body));
  });

  api.get<Params<"runbook">>(Routes.runbook.path, async (request) => {
    const body: RunbookResponse = { runbook: await storeCall(() => runbooks.get(request.params.runbook)) };
    return data(body);
  });

  api.put<Params<"runbook">>("/api/ops/runbooks/:runbook", decodedBody, async (request) => {
    const runbook = await storeCall(() => runbooks.update(request.params.runbook, request.body));
    request.log.info({ runbook: runbook.id }, "runbook updated");
    const body: RunbookResponse = { runbook };
    return data(body);
  });

  api.delete<Params<"runbook">>("/api/ops/runbooks/:runbook", async (request) => {
    const id = request.params.runbook;
    await storeCall(() => runbooks.delete(id));
    request.log.info({ runbook: id }, "runbook deleted");
    const body: RemovedResponse = { removed: id };
    return data(body);
  });

  api.post<Params<"runbook">>(Routes.runRunbook.path, async (request, reply) => {
    const started = await storeCall(() => runbooks.run(request.params.runbook));
    request.log.info({ runbook: request.params.runbook, job: started.job.id }, "runbook run started");
    const body: RunStartedResponse = started;
    return reply.code(202).send(data(body));
  });

  api.get(Routes.jobs.path, async (request) => {
    const query = (request.query ?? {}) as Record<string, unknown>;
    const body: JobsResponse = { jobs: await storeCall(() => runbooks.jobs(query)) };
    return data(body);
  });

  api.get<Params<"job">>(Routes.job.path, async (request) => {
    const body: JobResponse = { job: await storeCall(() => runbooks.job(request.params.job)) };
    return data(body);
  });

  api.post<Params<"job">>("/api/ops/jobs/:job/cancel", async (request) => {
    const job = await storeCall(() => runbooks.cancelJob(request.params.job));
    request.log.info({ job: job.id }, "runbook job cancelled");
    const body: JobResponse = { job };
    return data(body);
  });

  api.delete<Params<"job">>("/api/ops/jobs/:job", async (request) => {
    await storeCall(() => runbooks.deleteJob(request.params.job));
    return data({ deleted: true });
  });

  api.get("/api/ops/schedules", async () => {
    const body: SchedulesResponse = { schedules: await storeCall(() => runbooks.schedules()) };
    return data(body);
  });

  api.post("/api/ops/schedules", decodedBody, async (request, reply) => {
    const schedule = await storeCall(() => runbooks.createSchedule(request.body));
    request.log.info({ schedule: schedule.id, runbook: schedule.runbookId }, "schedule created");
    const body: ScheduleResponse = { schedule };
    return reply.code(201).send(data(body));
  });

  api.put<Params<"schedule">>("/api/ops/schedules/:schedule", decodedBody, async (request) => {
    const schedule = await storeCall(() => runbooks.updateSchedule(request.params.schedule, request.body));
    request.log.info({ schedule: schedule.id }, "schedule updated");
    const body: ScheduleResponse = { schedule };
    return data(body);
  });

  api.delete<Params<"schedule">>("/api/ops/schedules/:schedule", async (request) => {
    const id = request.params.schedule;
    await storeCall(() => runbooks.deleteSchedule(id));
    request.log.info({ schedule: id }, "schedule deleted");
    const body: RemovedResponse = { removed: id };
    return data(body);
  });

  api.post<Params<"schedule">>("/api/ops/schedules/:schedule/trigger", async (request, reply) => {
    const job = await storeCall(() => runbooks.triggerSchedule(request.params.schedule));
    request.log.info({ schedule: request.params.schedule, job: job.id }, "schedule triggered");
    const body: JobResponse = { job };
    return reply.code(202).send(data(body));
  });
}
