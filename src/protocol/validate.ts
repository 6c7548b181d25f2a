// Name and id rules shared by server and clients (spec §0.6).

export const SESSION_NAME_PATTERN = "^[A-Za-z0-9._-]{1,64}$";
export const WINDOW_NAME_PATTERN = "^[A-Za-z0-9._\\- ]{1,64}$";
export const ICON_KEY_PATTERN = "^[a-z0-9-]{1,32}$";

const sessionName = new RegExp(SESSION_NAME_PATTERN);
const windowName = new RegExp(WINDOW_NAME_PATTERN);
const iconKey = new RegExp(ICON_KEY_PATTERN);

/** The spec's pattern, minus a leading "-": such a name reads as a flag to tmux and to people. */
export function isSessionName(value: string): boolean {
  return sessionName.test(value) && !value.startsWith("-");
}

/** The spec's pattern (which has no control characters), minus a leading "-", as for session names. */
export function isWindowName(value: string): boolean {
  return windowName.test(value) && !value.startsWith("-");
}

export function isIconKey(value: string): boolean {
  return iconKey.test(value);
}

/**
 * C0 and C1 control characters and DEL: tmux cannot take NUL in an argument at all, and shows the others as
 * escapes (`a\001b`) or lets them reach terminals that draw the title.
 */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

export function hasControlCharacter(value: string): boolean {
  return CONTROL_CHARACTER.test(value);
}

/** 1–128 Unicode code points, no line breaks and no other control characters. */
export function isPaneTitle(value: string): boolean {
  if (hasControlCharacter(value)) return false;
  const length = [...value].length;
  return length >= 1 && length <= 128;
}

/** The Go server only checks the `%` prefix; we also require digits so a target can never be a flag. */
export function isPaneId(value: string): boolean {
  return /^%[0-9]+$/.test(value);
}

export const Messages = {
  sessionName: `name must match ${SESSION_NAME_PATTERN}`,
  invalidSessionName: "invalid session name",
  invalidSourceSessionName: "invalid source session name",
  cwdAbsolute: "cwd must be an absolute path",
  windowName: "window name must be 1-64 characters (letters, digits, dots, hyphens, underscores, spaces)",
  paneTitle: "title must be 1-128 characters",
  paneId: "paneId must start with %",
  index: "index must be >= 0",
  direction: "direction must be vertical or horizontal",
  icon: `icon must match ${ICON_KEY_PATTERN}`,
  invalidJson: "invalid json body",
  multipleJson: "invalid json body: multiple json values",
} as const;
