// Is there a service manager to talk to? systemd counts when it runs as the init system (sd_booted(3): the
// directory /run/systemd/system exists) and systemctl is on PATH. Containers and CI have neither, and then every
// service route answers 503 "service manager unavailable" while the rest of ops works.
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";

export type ServiceManagerAvailability =
  | { available: true; manager: "systemd"; systemctl: string; journalctl: string }
  | { available: false; manager: "none"; reason: string };

/** The first executable `name` on PATH, or undefined. */
export function findOnPath(name: string, path = process.env.PATH ?? ""): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      if (statSync(candidate).isFile()) {
        accessSync(candidate, constants.X_OK);
        return candidate;
      }
    } catch {
      // Not here.
    }
  }
  return undefined;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export interface DetectOptions {
  /** `ops_service_manager`: `auto`, `systemd` (skip the booted check), `none`. */
  setting: "auto" | "systemd" | "none";
  platform?: NodeJS.Platform;
  path?: string;
  /** sd_booted's directory (tests point it elsewhere). */
  bootedDir?: string;
}

export function detectServiceManager(options: DetectOptions): ServiceManagerAvailability {
  const none = (reason: string): ServiceManagerAvailability => ({
    available: false,
    manager: "none",
    reason,
  });
  if (options.setting === "none") return none("switched off by ops_service_manager = none");
  const platform = options.platform ?? process.platform;
  if (platform !== "linux") return none(`no supported service manager on ${platform} (systemd only)`);
  if (options.setting === "auto" && !isDirectory(options.bootedDir ?? "/run/systemd/system")) {
    return none("systemd is not running on this host (no /run/systemd/system)");
  }
  const systemctl = findOnPath("systemctl", options.path);
  if (!systemctl) return none("systemctl was not found on PATH");
  const journalctl = findOnPath("journalctl", options.path) ?? "journalctl";
  return { available: true, manager: "systemd", systemctl, journalctl };
}
