// Tokens of external Sentinel servers (`sentinel.server.url`), in SecretStorage under one key per origin
// (`scheme://host:port`). A token is only ever read for the origin of the URL it is about to be sent to, so
// pointing the setting at another host never hands that host the previous server's token: the new one has no
// token until the user sets one. The companion server this extension starts keeps its own token (Container).
// No `vscode` import: VS Code's SecretStorage satisfies `SecretStore` as is.
import { errorMessage, type Logger } from "../util/log.js";
import { serverOrigin } from "../util/origin.js";

export interface SecretStore {
  get(key: string): PromiseLike<string | undefined>;
  store(key: string, value: string): PromiseLike<void>;
  delete(key: string): PromiseLike<void>;
}

/** The one key earlier versions kept a token under, whatever server it was for. */
export const LEGACY_TOKEN_KEY = "sentinel.server.token";
const KEY_PREFIX = "sentinel.server.token@";

export function tokenKey(origin: string): string {
  return KEY_PREFIX + origin;
}

export class ServerTokens {
  private migration: Promise<void> | undefined;

  constructor(
    private readonly secrets: SecretStore,
    private readonly log: Logger,
  ) {}

  /** The token stored for the origin of `url`; undefined when there is none (or `url` is not http(s)). */
  async get(url: string): Promise<string | undefined> {
    const origin = serverOrigin(url);
    if (!origin) return undefined;
    await this.migrate();
    try {
      return (await this.secrets.get(tokenKey(origin))) || undefined;
    } catch (error) {
      this.log.warn(`server token: SecretStorage unavailable (${errorMessage(error)})`);
      return undefined;
    }
  }

  /** Stores (or, for an empty token, removes) the token of `url`'s origin; returns that origin. */
  async set(url: string, token: string | undefined): Promise<string> {
    const origin = serverOrigin(url);
    if (!origin) throw new Error(`"${url}" is not an http(s) URL`);
    await this.migrate();
    const value = token?.trim();
    if (value) await this.secrets.store(tokenKey(origin), value);
    else await this.secrets.delete(tokenKey(origin));
    return origin;
  }

  /**
   * Earlier versions kept one token for whatever `sentinel.server.url` named, and did not record which server it
   * was used with. It cannot be given to the right origin, and trying it on the URL set now could hand it to
   * another host: it is removed, and the user sets the token again (the server answers 401 until then).
   */
  private migrate(): Promise<void> {
    this.migration ??= (async () => {
      try {
        const legacy = await this.secrets.get(LEGACY_TOKEN_KEY);
        if (legacy === undefined) return;
        await this.secrets.delete(LEGACY_TOKEN_KEY);
        this.log.warn(
          'server token: removed the token an earlier version stored without the server it belongs to; set it again with "Sentinel: Set Server Token"',
        );
      } catch (error) {
        this.log.warn(`server token: could not check for an old token (${errorMessage(error)})`);
      }
    })();
    return this.migration;
  }
}
