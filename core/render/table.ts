// Table row flow: which page each row lands on and where. A pure function of the row heights and the room.
import { renderError } from "./errors.ts";

export interface FlowInput {
  /** top of the first row on the table's first page */
  top: number;
  /** rows must end at or above this y */
  bottom: number;
  /** top of the first row on a continuation page */
  continueTop: number;
  /** height of each row, gap included */
  rowHeights: number[];
  /** height of the block placed after the last row (0 when none) */
  afterHeight: number;
  /** name for messages ("tables[0]") */
  where: string;
}

export interface FlowResult {
  /** for each row: page offset (0 = the table's page, 1 = first continuation page ...) and top y */
  rows: { page: number; y: number }[];
  /** where the after-block goes */
  after: { page: number; y: number };
  /** number of continuation pages needed */
  continuationPages: number;
}

/** Places rows top to bottom, starting a continuation page whenever the next row would cross `bottom`. */
export function flowRows(input: FlowInput): FlowResult {
  const { top, bottom, continueTop, rowHeights, afterHeight, where } = input;
  const room = bottom - continueTop;
  let page = 0;
  let y = top;
  const rows: FlowResult["rows"] = [];
  rowHeights.forEach((h, i) => {
    if (y + h > bottom) {
      page++;
      y = continueTop;
      if (y + h > bottom)
        throw renderError(
          "TEXT_OVERFLOW",
          `${where}: row ${i + 1} is ${round(h)}pt tall but a continuation page has room for only ${round(room)}pt between continueTop and bottom; shorten its text`,
        );
    }
    rows.push({ page, y });
    y += h;
  });
  if (afterHeight > 0 && y + afterHeight > bottom) {
    if (afterHeight > room)
      throw renderError("TEXT_OVERFLOW", `${where}.after: the fields after the table need ${round(afterHeight)}pt but a continuation page has room for ${round(room)}pt`);
    page++;
    y = continueTop;
  }
  return { rows, after: { page, y }, continuationPages: page };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
