// PDF form fields in the base: which value goes into which field (pure), then filling and flattening.
import { PDFCheckBox, PDFDropdown, PDFName, PDFOptionList, PDFRadioGroup, PDFRef, PDFTextField, type PDFDocument, type PDFFont } from "pdf-lib";
import { renderError } from "./errors.ts";
import { dataPathName, getPath, valueText } from "./data.ts";
import type { FormSpec } from "./layout.ts";
import type { FontMetrics } from "./text.ts";

/** One form field and the value it gets. */
export interface FormAssignment {
  name: string;
  value: string | boolean;
}

/**
 * Decides each form field's value: the data path named in `spec.fields`, else the data path equal to
 * the field's name. Fields with no value stay as they are, unless `spec.required` makes a listed one MISSING_FIELD.
 */
export function formAssignments(fieldNames: string[], spec: FormSpec | undefined, data: unknown): FormAssignment[] {
  const explicit = spec?.fields ?? {};
  checkFormNames(fieldNames, spec);
  const out: FormAssignment[] = [];
  for (const name of fieldNames) {
    const path = explicit[name] ?? name;
    const raw = getPath(data, path);
    if (typeof raw === "boolean") {
      out.push({ name, value: raw });
      continue;
    }
    const text = valueText(raw, dataPathName("data", path));
    if (text === undefined) {
      if (spec?.required && explicit[name] !== undefined)
        throw renderError("MISSING_FIELD", `${dataPathName("data", path)} is missing (form field ${JSON.stringify(name)} needs it)`);
      continue;
    }
    out.push({ name, value: text.normalize("NFC").replace(/\r\n?/g, "\n").replace(/\t/g, " ") });
  }
  return out;
}

/** true/false for a check box value: a boolean, the box's on name, or "Off"; undefined for anything else. Pure. */
export function checkboxValue(value: string | boolean, onName: string): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (value === onName) return true;
  if (value === "Off") return false;
  return undefined;
}

/** Throws BAD_LAYOUT when `spec.fields` names a form field the base PDF does not have. Pure. */
export function checkFormNames(fieldNames: string[], spec: FormSpec | undefined, source = "layout"): void {
  for (const name of Object.keys(spec?.fields ?? {}))
    if (!fieldNames.includes(name))
      throw renderError(
        "BAD_LAYOUT",
        `${source}: form.fields.${name}: the base PDF has no form field named ${JSON.stringify(name)} (it has: ${fieldNames.map((n) => JSON.stringify(n)).join(", ") || "none"})`,
      );
}

/** Names of the base's form fields ([] when it has no form). */
export function formFieldNames(doc: PDFDocument): string[] {
  if (!doc.catalog.has(PDFName.of("AcroForm"))) return [];
  return doc.getForm().getFields().map((f) => f.getName());
}

/** The fonts form values may be drawn in, tried in order for each value (the first that has all its characters). */
export interface FormFonts {
  /** names, for messages */
  names: string[];
  metrics: FontMetrics[];
  /** the font embedded in the document (once per document) */
  embed(index: number): Promise<PDFFont>;
}

/** Fills the base's form fields from the data, each value in the first of `fonts` that has its characters, then flattens the form into the pages. */
export async function fillForm(doc: PDFDocument, spec: FormSpec | undefined, data: unknown, fonts: FormFonts): Promise<number> {
  const names = formFieldNames(doc);
  if (names.length === 0) {
    checkFormNames(names, spec);
    return 0;
  }
  const form = doc.getForm();
  const assignments = formAssignments(names, spec, data);
  const fieldFonts = new Map<unknown, PDFFont>();
  for (const { name, value } of assignments) {
    const field = form.getField(name);
    const where = `form field ${JSON.stringify(name)}`;
    if (field instanceof PDFCheckBox) {
      // true/false, or the box's own on and off names: anything else ("maybe", "yes" for a box whose
      // on state is "Paid") is a mistake in the data, not a ticked box
      const onName = field.acroField.getOnValue()?.decodeText() ?? "Yes";
      const on = checkboxValue(value, onName);
      if (on === undefined)
        throw renderError(
          "BAD_FIELD_VALUE",
          `${where}: ${JSON.stringify(value)} is not a value of this check box; give true or false, or its names ${JSON.stringify(onName)} (ticked) or "Off"`,
        );
      if (on) field.check();
      else field.uncheck();
    } else if (typeof value === "string") {
      const plain = value.replace(/\n/g, "");
      const index = fonts.metrics.findIndex((m) => m.missing(plain).length === 0);
      if (index < 0) {
        const bad = fonts.metrics[0].missing(plain)[0];
        throw renderError(
          "UNKNOWN_GLYPH",
          `${where}: character ${JSON.stringify(bad)} (U+${bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}) is not in the font${fonts.names.length > 1 ? "s" : ""} ${fonts.names.map((n) => JSON.stringify(n)).join(", ")} (${fonts.metrics.map((m) => m.family).join(", ")}); ` +
            `store a font that has it with the template (--font NAME=FILE.ttf) and list it in the layout's "form": {"font": [...]}`,
        );
      }
      const font = await fonts.embed(index);
      fieldFonts.set(field, font);
      if (field instanceof PDFTextField) {
        const max = field.getMaxLength();
        if (max !== undefined && value.length > max)
          throw renderError("TEXT_OVERFLOW", `${where}: ${JSON.stringify(value)} is ${value.length} characters but the field allows ${max}`);
        field.setText(value);
      } else if (field instanceof PDFDropdown || field instanceof PDFOptionList || field instanceof PDFRadioGroup) {
        const options = field.getOptions();
        if (!options.includes(value) && !(field instanceof PDFDropdown && field.isEditable()))
          throw renderError("BAD_FIELD_VALUE", `${where}: ${JSON.stringify(value)} is not one of its options (${options.map((o) => JSON.stringify(o)).join(", ")})`);
        field.select(value);
      }
    }
  }
  // each field's appearance in its chosen font; fields left as they were keep the first font
  const first = await fonts.embed(0);
  form.updateFieldAppearances(first);
  for (const [field, f] of fieldFonts) if (f !== first && (field instanceof PDFTextField || field instanceof PDFDropdown || field instanceof PDFOptionList)) field.updateAppearances(f);
  form.flatten({ updateFieldAppearances: false });
  dropDeletedAnnots(doc);
  // an AcroForm with no fields left would still tell readers the document is a form
  if (form.getFields().length === 0) doc.catalog.delete(PDFName.of("AcroForm"));
  return assignments.length;
}

/**
 * pdf-lib's flatten deletes the widget annotations' objects but can leave the pages' /Annots naming
 * them (readers then report "Invalid XRef entry" and rebuild the file): keep only references that
 * still resolve, and drop an emptied /Annots.
 */
export function dropDeletedAnnots(doc: PDFDocument): void {
  for (const page of doc.getPages()) {
    const annots = page.node.Annots();
    if (!annots) continue;
    const keep = annots.asArray().filter((a) => !(a instanceof PDFRef) || doc.context.lookup(a) !== undefined);
    if (keep.length === annots.size()) continue;
    if (keep.length) page.node.set(PDFName.of("Annots"), doc.context.obj(keep));
    else page.node.delete(PDFName.of("Annots"));
  }
}
