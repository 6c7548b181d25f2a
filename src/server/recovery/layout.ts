// tmux layout strings (`window_layout`, e.g. `95e4,120x40,0,0{60x40,0,0,1,59x40,61,0,2}`): a checksum, then
// cells of `WIDTHxHEIGHT,X,Y` that are either a pane (`,ID`) or a row `{…}` / column `[…]` of cells. Pure.

/** The window size a layout was taken at, if the string has one. */
export function layoutSize(layout: string): { width: number; height: number } | undefined {
  const m = /^[0-9a-f]{4},(\d+)x(\d+),/.exec(layout.trim());
  if (!m) return undefined;
  const width = Number(m[1]);
  const height = Number(m[2]);
  return width > 0 && height > 0 ? { width, height } : undefined;
}

/**
 * The geometry of a layout without its checksum and pane ids: two windows with the same panes in the same
 * places compare equal, whichever pane ids tmux gave them (a restored session has new ones).
 */
export function layoutGeometry(layout: string): string {
  return layout
    .trim()
    .replace(/^[0-9a-f]{4},/, "")
    .replace(/(\d+x\d+,\d+,\d+),\d+/g, "$1");
}

/** Number of panes (leaf cells) in a layout. */
export function layoutPaneCount(layout: string): number {
  return layoutGeometry(layout).match(/\d+x\d+,\d+,\d+(?![{[])/g)?.length ?? 0;
}
