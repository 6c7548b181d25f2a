// TypeBox schemas of src/protocol/api.ts's request bodies and messages: what the server validates with.
// Only the server imports this module (the extension imports the runtime-free src/protocol/api.ts).
import { type Static, Type } from "typebox";
import type { RouteBody, Routes } from "../routes.js";
import type { PresenceBody, SeenBody } from "./activity.js";
import { body } from "./body.js";
import type { AddMarkerBody, StartRecordingBody } from "./recording.js";
import type { RestoreBody } from "./recovery.js";

export const CreateSessionBody = body({
  name: Type.Optional(Type.String()),
  cwd: Type.Optional(Type.String()),
});
export type CreateSessionBody = Static<typeof CreateSessionBody>;

export const RenameSessionBody = body({ newName: Type.Optional(Type.String()) });
export type RenameSessionBody = Static<typeof RenameSessionBody>;

export const SetIconBody = body({ icon: Type.Optional(Type.String()) });
export type SetIconBody = Static<typeof SetIconBody>;

export const WindowIndexBody = body({ index: Type.Optional(Type.Integer()) });
export type WindowIndexBody = Static<typeof WindowIndexBody>;

export const RenameWindowBody = body({
  index: Type.Optional(Type.Integer()),
  name: Type.Optional(Type.String()),
});
export type RenameWindowBody = Static<typeof RenameWindowBody>;

export const PaneIdBody = body({ paneId: Type.Optional(Type.String()) });
export type PaneIdBody = Static<typeof PaneIdBody>;

export const RenamePaneBody = body({
  paneId: Type.Optional(Type.String()),
  title: Type.Optional(Type.String()),
});
export type RenamePaneBody = Static<typeof RenamePaneBody>;

export const SplitPaneBody = body({
  paneId: Type.Optional(Type.String()),
  direction: Type.Optional(Type.String()),
});
export type SplitPaneBody = Static<typeof SplitPaneBody>;

export const SessionParams = Type.Object({ session: Type.String() });
export type SessionParams = Static<typeof SessionParams>;

/** Holds when what the extension sends on a route (src/protocol/routes.ts) is what the route's schema accepts. */
type Fits<Body, Schema> = [Body] extends [Schema] ? true : false;
type Check<T extends true> = T;
/** Compile-time only: the route table's bodies fit these schemas. */
export type RouteBodiesFit = [
  Check<Fits<RouteBody<typeof Routes.createSession>, CreateSessionBody>>,
  Check<Fits<RouteBody<typeof Routes.renameSession>, RenameSessionBody>>,
  Check<Fits<RouteBody<typeof Routes.selectWindow>, WindowIndexBody>>,
  Check<Fits<RouteBody<typeof Routes.killWindow>, WindowIndexBody>>,
  Check<Fits<RouteBody<typeof Routes.selectPane>, PaneIdBody>>,
  Check<Fits<RouteBody<typeof Routes.killPane>, PaneIdBody>>,
  Check<Fits<RouteBody<typeof Routes.renameWindow>, RenameWindowBody>>,
  Check<Fits<RouteBody<typeof Routes.renamePane>, RenamePaneBody>>,
  Check<Fits<RouteBody<typeof Routes.splitPane>, SplitPaneBody>>,
  Check<Fits<RouteBody<typeof Routes.seen>, SeenBody>>,
  Check<Fits<RouteBody<typeof Routes.presence>, PresenceBody>>,
  Check<Fits<RouteBody<typeof Routes.startRecording>, StartRecordingBody>>,
  Check<Fits<RouteBody<typeof Routes.addMarker>, AddMarkerBody>>,
  Check<Fits<RouteBody<typeof Routes.restoreSnapshot>, RestoreBody>>,
];
