// Factur-X / ZUGFeRD: the EN 16931 CII XML a PDF/A-3 invoice carries. It comes from the job, given as
// XML (checked here: well-formed, a CII invoice of the job's profile, the elements every profile
// requires) or generated from structured invoice data by @e-invoice-eu/core (validated against its
// JSON schema for the profile first, each problem naming the field). Loaded on first use: a proc that
// renders no e-invoice never pays for it.
import { SaxesParser } from "saxes";
import { renderError } from "./errors.ts";

/** Factur-X 1.0 / ZUGFeRD 2.x profiles, as the XMP's fx:ConformanceLevel names them. */
export const FACTURX_PROFILES = ["MINIMUM", "BASIC WL", "BASIC", "EN 16931", "EXTENDED"] as const;
export type FacturXProfile = (typeof FACTURX_PROFILES)[number];

/** The guideline (BT-24) each profile's XML declares in ram:GuidelineSpecifiedDocumentContextParameter. */
export const PROFILE_GUIDELINE: Record<FacturXProfile, string> = {
  MINIMUM: "urn:factur-x.eu:1p0:minimum",
  "BASIC WL": "urn:factur-x.eu:1p0:basicwl",
  BASIC: "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic",
  "EN 16931": "urn:cen.eu:en16931:2017",
  EXTENDED: "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended",
};

/** @e-invoice-eu/core's format name for each profile. */
const LIB_FORMAT: Record<FacturXProfile, string> = {
  MINIMUM: "Factur-X-Minimum",
  "BASIC WL": "Factur-X-BasicWL",
  BASIC: "Factur-X-Basic",
  "EN 16931": "Factur-X-EN16931",
  EXTENDED: "Factur-X-Extended",
};

/** The file name Factur-X / ZUGFeRD 2.x require for the embedded XML. */
export const FACTURX_FILENAME = "factur-x.xml";

/** The job's `facturx` object. */
export interface FacturXJob {
  /** the profile (default "EN 16931") */
  profile?: FacturXProfile;
  /** the CII XML, as text */
  xml?: string;
  /** structured invoice data in @e-invoice-eu/core's format (`{"ubl:Invoice": {...}}`), turned into CII XML */
  invoice?: Record<string, unknown>;
}

const RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";
const RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100";
const UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100";
const PREFIX: Record<string, string> = { [RSM]: "rsm", [RAM]: "ram", [UDT]: "udt" };

/** Elements every Factur-X profile (MINIMUM up) requires, with the business term they carry. */
const REQUIRED: [string, string][] = [
  ["rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID", "BT-24, the profile"],
  ["rsm:ExchangedDocument/ram:ID", "BT-1, the invoice number"],
  ["rsm:ExchangedDocument/ram:TypeCode", "BT-3, the invoice type code"],
  ["rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString", "BT-2, the issue date"],
  ["rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/ram:SellerTradeParty/ram:Name", "BT-27, the seller's name"],
  ["rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/ram:BuyerTradeParty/ram:Name", "BT-44, the buyer's name"],
  ["rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeDelivery", "the delivery group (may be empty)"],
  ["rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/ram:InvoiceCurrencyCode", "BT-5, the currency"],
  ["rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:TaxBasisTotalAmount", "BT-109, the total without VAT"],
  ["rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:GrandTotalAmount", "BT-112, the total with VAT"],
  ["rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:DuePayableAmount", "BT-115, the amount due"],
];

/**
 * Checks CII XML for a profile: well-formed, root rsm:CrossIndustryInvoice, the profile's guideline
 * ID, and the elements every profile requires. Throws BAD_EINVOICE naming the line or element. Pure.
 */
export function checkCiiXml(xml: string, profile: FacturXProfile, source = "facturx.xml"): void {
  const paths = new Map<string, string>();
  const stack: string[] = [];
  let text = "";
  let root: { local: string; uri: string } | undefined;
  const parser = new SaxesParser({ xmlns: true, position: true });
  parser.on("opentag", (tag) => {
    const name = `${PREFIX[tag.uri ?? ""] ?? `{${tag.uri}}`}:${tag.local}`;
    if (!root) root = { local: tag.local ?? "", uri: tag.uri ?? "" };
    else stack.push(name);
    text = "";
  });
  parser.on("text", (t) => (text += t));
  parser.on("closetag", () => {
    const path = stack.join("/");
    if (path && !paths.has(path)) paths.set(path, text.trim());
    stack.pop();
    text = "";
  });
  try {
    parser.write(xml).close();
  } catch (err) {
    throw renderError("BAD_EINVOICE", `${source} is not well-formed XML: ${(err as Error).message}`, { cause: err });
  }
  if (!root || root.local !== "CrossIndustryInvoice" || root.uri !== RSM)
    throw renderError("BAD_EINVOICE", `${source}: the root element must be rsm:CrossIndustryInvoice in ${RSM} (got ${root ? `${root.local} in ${root.uri || "no namespace"}` : "nothing"}); Factur-X and ZUGFeRD carry CII, not UBL`);
  const missing = REQUIRED.filter(([p]) => !paths.has(p) || (p !== REQUIRED[6][0] && paths.get(p) === ""));
  if (missing.length)
    throw renderError("BAD_EINVOICE", `${source}: missing or empty ${missing.map(([p, what]) => `${p} (${what})`).join("; ")}`);
  const guideline = paths.get(REQUIRED[0][0])!;
  if (guideline !== PROFILE_GUIDELINE[profile])
    throw renderError(
      "BAD_EINVOICE",
      `${source}: the XML declares the guideline ${JSON.stringify(guideline)}, but the job asks for the ${profile} profile (${JSON.stringify(PROFILE_GUIDELINE[profile])}); set "facturx.profile" to match the XML`,
    );
}

type Validator = ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string; params?: Record<string, unknown> }[] | null };
interface Generator {
  validate: Validator;
  formatter: { fillInvoiceDefaults(i: unknown): void };
  generate: (this: unknown, invoice: unknown, opts: unknown) => Promise<string | Uint8Array>;
}
const generators = new Map<FacturXProfile, Promise<Generator>>();

async function generator(profile: FacturXProfile): Promise<Generator> {
  let g = generators.get(profile);
  if (!g) {
    g = (async () => {
      const lib = await import("@e-invoice-eu/core");
      const Ajv2019 = (await import("ajv/dist/2019.js")).default;
      const quiet = { log() {}, warn() {}, error() {} };
      const factory = new lib.FormatFactoryService();
      const formatter = factory.createFormatService(LIB_FORMAT[profile], quiet as never) as unknown as Generator["formatter"] & { patchSchema(s: unknown): void };
      const schema = structuredClone(lib.invoiceSchema);
      formatter.patchSchema(schema);
      // the validator the library builds in InvoiceService.generate, compiled once per profile and proc;
      // unoptimised code: compiling the 90 kB schema takes 0.45 s of CPU instead of 1.2 s, and validating
      // one invoice stays well under a millisecond
      const validate = new Ajv2019({ strict: true, allErrors: true, useDefaults: true, code: { optimize: false } }).compile(schema) as unknown as Validator;
      // the CII writer without the library's own PDF step (docctl makes the PDF/A itself)
      const cii = Object.getPrototypeOf(factory.createFormatService("CII", quiet as never)) as { generate: Generator["generate"] };
      return { validate, formatter, generate: cii.generate };
    })();
    generators.set(profile, g);
    g.catch(() => generators.delete(profile));
  }
  return await g;
}

/** Turns structured invoice data into CII XML for a profile; BAD_EINVOICE lists every invalid field. */
export async function generateCiiXml(invoice: unknown, profile: FacturXProfile, source = "facturx.invoice"): Promise<string> {
  const g = await generator(profile);
  const data = structuredClone(invoice);
  if (!g.validate(data)) {
    const problems = (g.validate.errors ?? []).slice(0, 10).map((e) => {
      const at = `${source}${e.instancePath.replace(/\//g, ".").replace(/~1/g, "/").replace(/~0/g, "~")}`;
      const extra = e.params?.missingProperty ? `.${e.params.missingProperty}` : "";
      const allowed = Array.isArray(e.params?.allowedValues) ? ` (e.g. ${(e.params.allowedValues as unknown[]).slice(0, 5).join(", ")} ...)` : "";
      return `${at}${extra}: ${extra ? "is required" : e.message}${allowed}`;
    });
    const more = (g.validate.errors?.length ?? 0) > 10 ? `; and ${g.validate.errors!.length - 10} more` : "";
    throw renderError("BAD_EINVOICE", `the invoice data is not valid for Factur-X ${profile}: ${problems.join("; ")}${more}`);
  }
  g.formatter.fillInvoiceDefaults(data);
  let xml: string;
  try {
    const out = await g.generate.call(g.formatter, data, { format: LIB_FORMAT[profile], lang: "en" });
    xml = typeof out === "string" ? out : new TextDecoder().decode(out);
  } catch (err) {
    throw renderError("BAD_EINVOICE", `the invoice data could not be turned into CII XML: ${(err as Error).message}`, { cause: err });
  }
  checkCiiXml(xml, profile, `the CII XML generated from ${source}`);
  return xml;
}

/** The XML of a job's `facturx`: given (checked) or generated. */
export async function facturxXml(job: FacturXJob): Promise<{ profile: FacturXProfile; xml: string }> {
  const profile = job.profile ?? "EN 16931";
  if ((job.xml === undefined) === (job.invoice === undefined))
    throw renderError("BAD_EINVOICE", `facturx needs exactly one of "xml" (the CII XML as text) or "invoice" (structured invoice data)`);
  if (job.xml !== undefined) {
    checkCiiXml(job.xml, profile);
    return { profile, xml: job.xml };
  }
  return { profile, xml: await generateCiiXml(job.invoice, profile) };
}
