// Whether the tmux server did anything since the last look, without asking tmux (ADR 0013). Two counters in
// /proc, read every few tens of milliseconds, a few microseconds each, waking nothing:
// - `rchar` of /proc/<pid>/io: tmux reads a pane's output from its pty with read(2), which it counts; client
//   commands arrive over the socket with recvmsg(2), which it does not.
// - how often it woke: an idle tmux server sleeps in its event loop and wakes only for something to do: a
//   client's command (a rename or a kill from the tmux CLI, which prints nothing), pane output, a child that
//   exited, a timer (the status line of an attached client). Counted by /proc/<pid>/schedstat's third field (the
//   times it was given a CPU: 1.4 µs to read here) where the kernel keeps it, else by `voluntary_ctxt_switches`
//   of /proc/<pid>/status (9 µs: the kernel formats ~1.5 KB for it).
// How many times it woke between two looks is told by `voluntary_ctxt_switches` (ADR 0025): preemption on a
// busy machine adds runs, not sleeps, and a status-line timer's tick (./statusTicks.ts) is one sleep.
// The watchtower's own listing moves both (tmux also reads /proc/<pid>/cmdline for `pane_current_command`), so
// it takes the counters as its baseline right after each listing.
//
// The files stay open while the pid is the same: a positioned read from offset 0 regenerates /proc's text, so a
// read is one pread(2) instead of an open/fstat/read/close round (~70 µs), and its numbers are read from the
// bytes, with no string made. A look reads schedstat; io only when tmux ran since the last look, status only
// where a tick can be told (`read`). On this VM the first /proc read after a sleep costs ~50 µs, the next
// ones 10–30 µs each.
//
// Where there is no /proc (macOS, BSD), the files cannot be read (another user's tmux, hardened /proc), or the pid
// does not name a tmux process (a pid from another PID namespace), the probe says "unknown" and the watchtower
// falls back to listing on a timer.
import { closeSync, openSync, readFileSync, readSync } from "node:fs";

/** /proc/<pid>/status is ~1.5 KiB here (its context-switch counters are its last lines); room to spare. */
const READ_BYTES = 8192;
/** Where a number is in a /proc file: after `label` (bytes; none: from the start), the `index`th (0: first). */
interface NumberAt {
  label: Buffer | undefined;
  index: number;
}
const RCHAR: NumberAt = { label: Buffer.from("rchar:"), index: 0 };
/** schedstat: `<ns on a CPU> <ns waiting> <times given a CPU>`. */
const SCHEDSTAT_RUNS: NumberAt = { label: undefined, index: 2 };
const SCHEDSTAT_TIME: NumberAt = { label: undefined, index: 0 };
const VOLUNTARY: NumberAt = { label: Buffer.from("voluntary_ctxt_switches:"), index: 0 };

export type ProbeResult = "changed" | "unchanged" | "unknown";

/**
 * What tmux read during a collect's own calls beyond their footprint (`OutputProbe.endOwn`): bytes (0: nothing
 * landed; more: output landed while the calls ran); "unknown" when it cannot be told (no baseline yet: a new tmux
 * server, a first listing), learned for the next; "recheck" when the footprint has just changed, so that a write
 * may hide in it: one more listing soon settles it.
 */
export type Footprint = number | "unknown" | "recheck";

/** The /proc files of the current pid, open while it is usable. */
interface ProcFiles {
  io: number;
  wakes: number;
  wakesAt: NumberAt;
  /** /proc/<pid>/status where `wakes` is schedstat, opened the first time it is needed. */
  status?: number;
}

interface Counters {
  rchar: number;
  /** The wake-up counter: schedstat's runs, or voluntary_ctxt_switches where there is no schedstat. */
  switches: number;
  /** schedstat's time on a CPU (ns; 0 where there is none): unchanged with the runs, tmux has not run. */
  ran: number;
  /**
   * voluntary_ctxt_switches: how often it went to sleep. Unlike schedstat's runs, a preemption does not count
   * (a busy machine splits one wake-up into several runs). Read only where it can tell a status-line tick
   * (./statusTicks.ts): at a move that read no byte, and once at a still look after moves that did (undefined
   * until then).
   */
  voluntary: number | undefined;
  /** When they were read (ms since the epoch). */
  at: number;
}

export class OutputProbe {
  private pid: number | undefined;
  private last: Counters | undefined;
  private usable = false;
  /** How many bytes tmux read from pane ptys between the last two looks that saw a change. */
  private delta = 0;
  /** How often it woke meanwhile, and when the first of those two looks read the counters. */
  private wokeDelta = 0;
  private sinceAt = 0;
  /** `rchar` when the watchtower's own calls of one collect began (`beginOwn`). */
  private ownStart: number | undefined;
  /** What the last collect's own calls made tmux read (`endOwn`). */
  private footprint: number | undefined;
  /** The last footprint was no bigger than the one before (a grown or first one may hold output). */
  private footprintTrusted = false;
  /** The last `endOwn` said "recheck". */
  private rechecking = false;

  /** /proc/<pid>/io and the wake-up counter's file of the current pid, open while it is usable. */
  private files: ProcFiles | undefined;
  private readonly buffer = Buffer.alloc(READ_BYTES);

  constructor(private readonly procRoot = "/proc") {}

  /** The tmux server's pid, from the latest listing (undefined: no tmux server). A new pid starts afresh. */
  setServerPid(pid: number | undefined): void {
    if (pid === this.pid) return;
    this.closeFiles();
    this.pid = pid;
    this.last = undefined;
    this.ownStart = this.footprint = undefined;
    this.footprintTrusted = this.rechecking = false;
    this.usable = pid !== undefined && this.isTmux(pid);
    if (this.usable) this.last = this.read(undefined);
    if (this.last === undefined) this.usable = false;
  }

  /** Closes the files it keeps open (the watchtower's close). */
  close(): void {
    this.closeFiles();
    this.pid = undefined;
    this.usable = false;
  }

  /** Whether the probe can see the server's pane output at all. */
  get available(): boolean {
    return this.usable;
  }

  /** Whether the counters moved since the last call (or since the pid was set). */
  check(): ProbeResult {
    if (!this.usable) return "unknown";
    // The watchtower's own calls are under way: `endOwn` accounts for what moved meanwhile.
    if (this.ownStart !== undefined) return "unchanged";
    const now = this.read(this.last);
    if (now === undefined) {
      // The server went away (or /proc stopped answering): the next listing says which.
      this.usable = false;
      return "unknown";
    }
    const last = this.last;
    this.last = now;
    if (last && now.rchar === last.rchar && now.switches === last.switches) return "unchanged";
    this.delta = last ? now.rchar - last.rchar : 0;
    this.wokeDelta =
      last?.voluntary !== undefined && now.voluntary !== undefined
        ? now.voluntary - last.voluntary
        : Number.NaN;
    this.sinceAt = last ? last.at : now.at;
    return "changed";
  }

  /** The bytes of pane output tmux read between the last two looks, when the last `check` said "changed". */
  get readBytes(): number {
    return this.delta;
  }

  /**
   * How often tmux went to sleep meanwhile, so how often it woke (./statusTicks.ts: a timer's tick wakes it once,
   * a CLI command more); NaN where it was not counted (a move that read bytes, or one right after).
   */
  get wakes(): number {
    return this.wokeDelta;
  }

  /** When the counters that the last change is measured from were read (ms since the epoch). */
  get since(): number {
    return this.sinceAt;
  }

  /**
   * Takes the counters as they are now as the baseline. Called right after each of the watchtower's listings,
   * which move them, or every listing would ask for the next. What lands between the listing and this read is
   * seen by the next listing (output: its window's activity time is newer than the last listing), at the latest
   * at the next timed one.
   */
  rebase(): void {
    if (!this.usable) return;
    const now = this.read(this.last);
    if (now !== undefined) this.last = now;
  }

  /**
   * Before the watchtower's own calls of one collect (the listing, then any captures). Until `endOwn`, `check`
   * ignores the counters (those calls move them), and `endOwn` then tells what else tmux read meanwhile.
   */
  beginOwn(): void {
    this.ownStart = this.usable ? this.read(this.last)?.rchar : undefined;
  }

  /** Between `beginOwn` and `endOwn`. */
  get owning(): boolean {
    return this.ownStart !== undefined;
  }

  /**
   * After the last of those calls: takes the counters as the new baseline and tells what tmux read during the
   * calls beyond their footprint (`Footprint`). A listing makes tmux read the same bytes each time while the panes
   * run the same programs (each pane's /proc/<pid>/cmdline; captures read nothing), so more says that pane output
   * or keys typed in an attached client landed where the probe does not look. The footprint is learned from each
   * collect; one that grew (or the first) may hold output (a write that landed during that collect), which would
   * hide a write of the same size in the next: so a measure equal to an untrusted one, or smaller than the one
   * before, says "recheck" (one more listing soon; "unknown" if the last said so too), and only one no bigger
   * than the one before is trusted. A tmux CLI command that reads nothing (a kill-pane, a swap) is not told apart
   * from the listing's own wake-ups.
   */
  endOwn(): Footprint {
    const start = this.ownStart;
    this.ownStart = undefined;
    if (!this.usable) return "unknown";
    const now = this.read(this.last);
    if (now === undefined) return "unknown";
    this.last = now;
    if (start === undefined) return "unknown";
    const measured = now.rchar - start;
    const known = this.footprint;
    const trusted = this.footprintTrusted;
    this.footprint = measured;
    // A measure no bigger than the one before holds no more output than it: the next equal one can be trusted.
    this.footprintTrusted = known !== undefined && measured <= known;
    const rechecked = this.rechecking;
    this.rechecking = false;
    if (known === undefined) return "unknown";
    if (measured > known) return measured - known;
    if (measured === known && trusted) return 0;
    // Panes whose programs keep changing (a build forking compilers) change the footprint at every listing: one
    // recheck, then the confirming listing later, or every collect would ask for the next.
    if (rechecked) return "unknown";
    this.rechecking = true;
    return "recheck";
  }

  /**
   * The counters now; `previous`, the last ones read. A look reads schedstat first (1.4 µs hot, ~10 µs after a
   * sleep on this VM): if tmux has not run since `previous`, nothing else it counts can have moved, and io (~2 µs
   * hot, ~50 µs cold) is not read. The voluntary switches (status: ~8 µs hot, ~25 µs cold) are read only where a
   * status-line tick can be told.
   */
  private read(previous: Counters | undefined): Counters | undefined {
    try {
      this.files ??= this.openFiles();
      const files = this.files;
      const length = this.load(files.wakes);
      const switches = this.parse(length, files.wakesAt);
      const ran = files.wakesAt === VOLUNTARY ? 0 : this.parse(length, SCHEDSTAT_TIME);
      if (switches !== undefined && ran !== undefined) {
        const at = Date.now();
        // schedstat says tmux has not run since `previous`: nothing it counts moved (without schedstat, a tmux
        // woken and not asleep again has not moved its count yet, so io is read every time).
        if (
          previous &&
          files.wakesAt !== VOLUNTARY &&
          ran === previous.ran &&
          switches === previous.switches
        ) {
          // The same counters, with the voluntary count a move that read bytes left unread.
          return { ...previous, voluntary: previous.voluntary ?? this.voluntary(files, switches), at };
        }
        const rchar = this.parse(this.load(files.io), RCHAR);
        const voluntary =
          previous && rchar !== previous.rchar && files.wakesAt !== VOLUNTARY
            ? undefined
            : this.voluntary(files, switches);
        if (rchar !== undefined) return { rchar, switches, ran, voluntary, at };
      }
    } catch {
      // The process is gone (ESRCH), or /proc refused: the next listing says which.
    }
    this.closeFiles();
    return undefined;
  }

  /** voluntary_ctxt_switches: `switches` itself where there is no schedstat, else from status. */
  private voluntary(files: ProcFiles, switches: number): number | undefined {
    if (files.wakesAt === VOLUNTARY) return switches;
    files.status ??= openSync(`${this.procRoot}/${this.pid}/status`, "r");
    return this.parse(this.load(files.status), VOLUNTARY);
  }

  private openFiles(): ProcFiles {
    const io = openSync(`${this.procRoot}/${this.pid}/io`, "r");
    try {
      try {
        return {
          io,
          wakes: openSync(`${this.procRoot}/${this.pid}/schedstat`, "r"),
          wakesAt: SCHEDSTAT_RUNS,
        };
      } catch {
        return { io, wakes: openSync(`${this.procRoot}/${this.pid}/status`, "r"), wakesAt: VOLUNTARY };
      }
    } catch (error) {
      closeSync(io);
      throw error;
    }
  }

  /** Reads the file again from its start (/proc regenerates it) into the buffer; its length. */
  private load(fd: number): number {
    return readSync(fd, this.buffer, 0, this.buffer.length, 0);
  }

  /** The number at `at` in the first `length` bytes of the buffer; undefined if not there. */
  private parse(length: number, { label, index }: NumberAt): number | undefined {
    let at = 0;
    if (label !== undefined) {
      at = this.buffer.indexOf(label);
      if (at < 0 || at + label.length > length) return undefined;
      at += label.length;
    }
    let value: number | undefined;
    let seen = 0;
    for (; at < length; at++) {
      const c = this.buffer[at]!;
      if (c >= 0x30 && c <= 0x39) {
        value = (value ?? 0) * 10 + (c - 0x30);
      } else if (value !== undefined) {
        if (seen === index) return value;
        seen++;
        value = undefined;
      }
    }
    return seen === index ? value : undefined;
  }

  private closeFiles(): void {
    if (!this.files) return;
    const { io, wakes, status } = this.files;
    for (const fd of status === undefined ? [io, wakes] : [io, wakes, status]) {
      try {
        closeSync(fd);
      } catch {
        // Already closed: nothing to give back.
      }
    }
    this.files = undefined;
  }

  private isTmux(pid: number): boolean {
    try {
      return /^tmux/.test(readFileSync(`${this.procRoot}/${pid}/comm`, "latin1").trim());
    } catch {
      return false;
    }
  }
}
