// The one way a command reaches the HTTP API: start the server if needed (or wait for the one starting) and use
// the refresh owner's client when it talks to that server, a client of the endpoint otherwise. No `vscode` import.
import type { ServerManager } from "../server/serverManager.js";
import { ApiClient } from "./apiClient.js";
import type { RefreshManager } from "./refreshManager.js";

export class ApiAccess {
  constructor(
    private readonly server: Pick<ServerManager, "start">,
    private readonly refresh: Pick<RefreshManager, "api">,
  ) {}

  /** The API of the running server, starting it first (`reason` goes to the server log). */
  async get(reason = "command"): Promise<ApiClient> {
    const endpoint = await this.server.start(reason);
    const current = this.refresh.api;
    return current && current.endpoint.url === endpoint.url && current.endpoint.token === endpoint.token
      ? current
      : new ApiClient(endpoint);
  }
}
