// Ops service routes (spec §1.6): the list, register/unregister, browse/discover, actions, status and logs, by
// tracked name or by unit. The literal `/unit/*`, `browse` and `discover` paths are registered before
// `{service}` (they win, as in the seed). Where no service manager runs each answers 503 OPS_UNAVAILABLE
// "service manager unavailable: <reason>" (src/server/ops/services/units.ts).
import type {
  BrowseServicesResponse,
  DiscoverServicesResponse,
  RegisterServiceResponse,
  ServiceActionResponse,
  ServiceLogsResponse,
  ServiceStatusResponse,
  ServicesResponse,
  UnitActionResponse,
  UnitLogsResponse,
  UnregisterServiceResponse,
} from "../../protocol/ops.js";
import { Routes } from "../../protocol/routes.js";
import { RegisterServiceBody, ServiceActionBody, UnitActionBody } from "../../protocol/schemas/ops.js";
import type { AppContext } from "../context.js";
import { parseLines } from "../ops/services/input.js";
import { queryValue, storeCall } from "./opsRoutes.js";
import { type ApiInstance, data } from "./types.js";

type Query = Record<string, unknown> | undefined;
type ServiceParams = { Params: { service: string } };

const unitQuery = (query: Query) => ({
  unit: queryValue(query, "unit") ?? "",
  scope: queryValue(query, "scope") ?? "",
  manager: queryValue(query, "manager") ?? "",
});

export function registerOpsServiceRoutes(api: ApiInstance, ctx: Pick<AppContext, "ops">): void {
  const services = ctx.ops.services;
  // Every service route answers the same 503 where no service manager runs, before reading its input.
  const available = async () => services.assertAvailable();

  api.get(Routes.opsServices.path, { preHandler: available }, async () => {
    const body: ServicesResponse = { services: await services.list() };
    return data(body);
  });

  api.post(
    "/api/ops/services",
    { preValidation: available, schema: { body: RegisterServiceBody } },
    async (request, reply) => {
      const result = await storeCall(() => services.register(request.body));
      request.log.info({ service: request.body.name }, "ops service registered");
      const body: RegisterServiceResponse = result;
      return reply.code(201).send(data(body));
    },
  );

  api.get("/api/ops/services/browse", { preHandler: available }, async () => {
    const body: BrowseServicesResponse = { services: await services.browse() };
    return data(body);
  });

  api.get("/api/ops/services/discover", { preHandler: available }, async () => {
    const body: DiscoverServicesResponse = { services: await services.discover() };
    return data(body);
  });

  api.post(
    "/api/ops/services/unit/action",
    { preValidation: available, schema: { body: UnitActionBody } },
    async (request) => {
      const result = await storeCall(() => services.unitAction(request.body));
      request.log.info({ unit: request.body.unit, action: request.body.action }, "ops unit action");
      const body: UnitActionResponse = result;
      return data(body);
    },
  );

  api.get("/api/ops/services/unit/status", { preHandler: available }, async (request) => {
    const body: ServiceStatusResponse = {
      status: await services.unitInspect(unitQuery(request.query as Query)),
    };
    return data(body);
  });

  api.get("/api/ops/services/unit/logs", { preHandler: available }, async (request) => {
    const query = request.query as Query;
    const lines = parseLines(queryValue(query, "lines"));
    const body: UnitLogsResponse = await services.unitLogs(unitQuery(query), lines);
    return data(body);
  });

  api.delete<ServiceParams>("/api/ops/services/:service", { preHandler: available }, async (request) => {
    const result = await storeCall(() => services.unregister(request.params.service));
    request.log.info({ service: request.params.service }, "ops service unregistered");
    const body: UnregisterServiceResponse = result;
    return data(body);
  });

  api.post<ServiceParams & { Body: ServiceActionBody }>(
    "/api/ops/services/:service/action",
    { preValidation: available, schema: { body: ServiceActionBody } },
    async (request) => {
      const result = await storeCall(() => services.action(request.params.service, request.body.action));
      request.log.info(
        { service: request.params.service, action: request.body.action },
        "ops service action",
      );
      const body: ServiceActionResponse = result;
      return data(body);
    },
  );

  api.get<ServiceParams>("/api/ops/services/:service/status", { preHandler: available }, async (request) => {
    const body: ServiceStatusResponse = { status: await services.inspect(request.params.service) };
    return data(body);
  });

  api.get<ServiceParams>("/api/ops/services/:service/logs", { preHandler: available }, async (request) => {
    const lines = parseLines(queryValue(request.query as Query, "lines"));
    const body: ServiceLogsResponse = await services.logs(request.params.service, lines);
    return data(body);
  });
}
